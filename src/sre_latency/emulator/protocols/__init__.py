"""The three wire protocols the emulator speaks; handlers see ``state``, ``content`` and ``http``,
never the app that routes to them."""

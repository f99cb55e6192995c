"""One renderer per tool: ``render(console, result)`` and ``exit_code(result, options)``."""

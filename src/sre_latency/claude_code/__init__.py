"""Claude Code sessions: the hook log (plain and fast readers), transcripts and the accounting of
where a session's time went."""

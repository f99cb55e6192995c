"""The vocabulary and the maths: the run-file contract, the metric table, statistics, SLOs,
redaction and the model catalogue. No I/O, and nothing of ours but ``errors`` is imported here."""

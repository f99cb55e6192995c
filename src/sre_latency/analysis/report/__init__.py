"""The report of one run: built from its columns (``build``), rendered as md, html, json or csv."""

"""Pure functions over saved runs: columns, grade, compare, latency budget and the report."""

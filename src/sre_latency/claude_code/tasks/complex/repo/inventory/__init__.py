"""A tiny inventory: items and the reports printed from them."""

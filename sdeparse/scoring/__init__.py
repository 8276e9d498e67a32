"""Scoring: counting what was predicted against the gold, apart from parsing and rendering."""

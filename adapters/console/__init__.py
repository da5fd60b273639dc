"""The terminal surface: play a run, print boards and stats with rich."""

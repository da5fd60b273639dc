"""The shipped quiz decks, as YAML data files (one deck per file)."""

"""Surfaces that put the quiz core on Discord, Slack and the terminal, and the command line."""

"""Tests of the Discord adapter: renders as plain objects, and the real discord.py client against a fake Discord."""

"""Tests of the Slack surface: the real slack-bolt app against a local fake of Slack."""

"""The Slack surface: a slack-bolt AsyncApp serving `/recsys-quiz` and its Block Kit buttons."""

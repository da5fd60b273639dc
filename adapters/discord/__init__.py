"""The Discord surface: `/recsys-quiz` slash commands and persistent buttons on discord.py."""

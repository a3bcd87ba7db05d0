"""The bot's commands, one cog per concern; each module ends with ``setup(bot)``."""

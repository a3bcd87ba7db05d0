"""What members made of the answers: ``/gaps`` for editors, ``/forget-me`` for anyone.

The Helpful / Not helpful buttons themselves live on the answer (``bot.views.AnswerView``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import checks
from bot.render import render_forgotten
from bot.views import GapsView, gaps_page

if TYPE_CHECKING:
    from bot.client import ArchivistBot

log = logging.getLogger(__name__)

DEFAULT_DAYS = 30


class Feedback(commands.Cog):
    """The questions nobody could answer, and forgetting what a member asked."""

    def __init__(self, bot: ArchivistBot) -> None:
        self.bot = bot

    @app_commands.command(name="gaps")
    @app_commands.describe(days=f"How many days to look back (default {DEFAULT_DAYS})")
    @app_commands.guild_only()
    async def gaps(
        self,
        interaction: discord.Interaction,
        days: app_commands.Range[int, 1, 3650] = DEFAULT_DAYS,
    ) -> None:
        """Questions nobody could answer here, and answers marked Not helpful (editors only)."""
        async with self.bot.busy():
            home = checks.home_collection(interaction.guild_id)
            checks.require_interaction_editor(
                interaction, self.bot.settings.bot, "see unanswered questions"
            )
            await interaction.response.defer(ephemeral=True, thinking=True)
            embed, pages = await gaps_page(self.bot, home, days, 1)
            view = GapsView(self.bot, home=home, days=days, page=1, pages=pages)
            view.message = await interaction.followup.send(
                embed=embed, view=view, ephemeral=True, wait=True
            )

    @app_commands.command(name="forget-me")
    async def forget_me(self, interaction: discord.Interaction) -> None:
        """Delete every question and vote of yours that I keep, in every server."""
        async with self.bot.busy():
            await interaction.response.defer(ephemeral=True, thinking=True)
            forgotten = await self.bot.call(self.bot.service.forget_user, str(interaction.user.id))
            log.info("user %d asked to be forgotten", interaction.user.id)
            await interaction.followup.send(render_forgotten(forgotten), ephemeral=True)


async def setup(bot: ArchivistBot) -> None:
    await bot.add_cog(Feedback(bot))

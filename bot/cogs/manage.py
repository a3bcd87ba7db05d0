"""Browsing and moderating: ``/articles``, ``/article``, ``/remove``, ``/stats``."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import checks
from bot.errors import Refused
from bot.render import choice_name, render_article, render_removed, render_stats
from bot.views import ArticlesView, articles_page

if TYPE_CHECKING:
    from bot.client import ArchivistBot

log = logging.getLogger(__name__)

#: A number, or a title picked from the suggestions (sent as its number).
ArticleRef = app_commands.Range[str, 1, 200]


class Manage(commands.Cog):
    """Look through and remove stored articles."""

    def __init__(self, bot: ArchivistBot) -> None:
        self.bot = bot

    def _scope(self, interaction: discord.Interaction) -> tuple[str, ...]:
        return checks.search_scope(interaction.guild_id, self.bot.settings.bot)

    @app_commands.command(name="articles")
    @app_commands.describe(page="Which page of the list (10 articles each, newest first)")
    async def articles(
        self, interaction: discord.Interaction, page: app_commands.Range[int, 1, 100_000] = 1
    ) -> None:
        """List the stored articles this server can search, newest first."""
        async with self.bot.busy():
            scope = self._scope(interaction)
            await interaction.response.defer(ephemeral=True, thinking=True)
            embed, page, pages = await articles_page(self.bot, scope, page)
            view = ArticlesView(self.bot, collections=scope, page=page, pages=pages)
            view.message = await interaction.followup.send(
                embed=embed, view=view, ephemeral=True, wait=True
            )

    @app_commands.command(name="article")
    @app_commands.describe(id="Type part of the title and pick it, or give its number")
    async def article(self, interaction: discord.Interaction, id: ArticleRef) -> None:  # noqa: A002
        """Show one article: title, date, author, link, who added it and its opening."""
        async with self.bot.busy():
            article_id = checks.article_id(id)
            scope = self._scope(interaction)
            await interaction.response.defer(thinking=True)
            detail = await self.bot.call(
                self.bot.service.get_article, article_id, collections=scope
            )
            await interaction.followup.send(embed=render_article(detail))

    @app_commands.command(name="remove")
    @app_commands.describe(id="Type part of the title and pick it, or give its number")
    @app_commands.guild_only()
    async def remove(self, interaction: discord.Interaction, id: ArticleRef) -> None:  # noqa: A002
        """Remove an article from this server's collection (editors only)."""
        async with self.bot.busy():
            article_id = checks.article_id(id)
            collection = checks.home_collection(interaction.guild_id)
            checks.require_interaction_editor(interaction, self.bot.settings.bot, "remove articles")
            await interaction.response.defer(thinking=True)
            removed = await self.bot.call(
                self.bot.service.remove_article, article_id, collections=(collection,)
            )
            log.info("article %d removed by user %d", removed.id, interaction.user.id)
            await interaction.followup.send(render_removed(removed))

    # --- autocomplete -----------------------------------------------------------------

    @article.autocomplete("id")
    async def article_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """This server's articles and the shared ones, by title."""
        try:
            scope = self._scope(interaction)
        except Refused:
            return []
        return await self._choices(current, scope)

    @remove.autocomplete("id")
    async def removable_choices(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Only this server's own articles: the shared ones cannot be removed from here."""
        if interaction.guild_id is None:
            return []
        return await self._choices(current, (checks.home_collection(interaction.guild_id),))

    async def _choices(
        self, current: str, scope: tuple[str, ...]
    ) -> list[app_commands.Choice[str]]:
        # Discord shows nothing unless the answer comes within 3 seconds, and an error
        # here has no one to tell: offer nothing rather than fail.
        if self.bot.stopping:
            return []
        try:
            found = await self.bot.call(
                self.bot.service.suggest_articles, current, collections=scope
            )
        except Exception:  # noqa: BLE001 - see above; logged in full
            log.exception("article suggestions failed")
            return []
        return [
            app_commands.Choice(name=choice_name(choice), value=str(choice.id))
            for choice in found[:25]
        ]

    @app_commands.command(name="stats")
    async def stats(self, interaction: discord.Interaction) -> None:
        """How many articles, passages and languages this server can search."""
        async with self.bot.busy():
            scope = self._scope(interaction)
            await interaction.response.defer(ephemeral=True, thinking=True)
            stats = await self.bot.call(self.bot.service.stats, collections=scope)
            await interaction.followup.send(embed=render_stats(stats), ephemeral=True)


async def setup(bot: ArchivistBot) -> None:
    await bot.add_cog(Manage(bot))

"""Asking: ``/ask``, ``!ask``, a mention, *Apps → Ask Archivist*, and deleting an answer."""

from __future__ import annotations

import logging
import re
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import checks
from bot.errors import Refused
from bot.quotes import render_answer, shown_excerpts
from bot.views import NOT_YOURS, AnswerView, may_delete

if TYPE_CHECKING:
    from bot.client import ArchivistBot

log = logging.getLogger(__name__)

MENTION_HINT = "Ask me something after the mention, for example: who met Kim, and where?"
#: The longest question taken from a message (as ``/ask`` allows).
MAX_QUESTION = 1000
_MENTIONS = re.compile(r"<(?:@[!&]?|#)\d+>")


def question_from(message: discord.Message) -> str:
    """A message's text as a question: mentions left out, on one line, bounded."""
    return " ".join(_MENTIONS.sub(" ", message.content or "").split())[:MAX_QUESTION]


class Ask(commands.Cog):
    """Ask about the stored articles."""

    def __init__(self, bot: ArchivistBot) -> None:
        self.bot = bot
        self.cooldown = checks.Cooldown(bot.settings.bot.ask_cooldown)
        self.menus = (
            app_commands.ContextMenu(name="Delete answer", callback=self.delete_answer),
            app_commands.ContextMenu(name="Ask Archivist", callback=self.ask_about),
        )

    async def cog_load(self) -> None:
        for menu in self.menus:
            self.bot.tree.add_command(menu)

    async def cog_unload(self) -> None:
        for menu in self.menus:
            self.bot.tree.remove_command(menu.name, type=menu.type)

    def _page_size(self) -> int:
        return self.bot.service.config.top_k

    async def _answer(
        self,
        question: str,
        collections: tuple[str, ...],
        offset: int = 0,
        *,
        guild_id: int | None,
        user_id: int,
    ):
        answer = await self.bot.call(
            self.bot.service.ask, question, collections=collections, offset=offset
        )
        rendered = render_answer(answer)
        log.info(
            "answered with %d of %d excerpts (offset %d)", rendered.shown, answer.total, offset
        )
        if not answer.found and not offset:
            # What the archive lacks, for /gaps; only the question is kept.
            await self.bot.call(
                self.bot.service.record_unanswered,
                answer.question,
                collection=checks.feedback_collection(guild_id),
                user_id=str(user_id),
            )
        return answer, rendered

    def _view(
        self,
        question,
        collections,
        answer,
        rendered,
        asker_id: int,
        guild_id: int | None,
        *,
        ephemeral: bool = False,
    ) -> AnswerView:
        return AnswerView(
            self.bot,
            question=question,
            collections=collections,
            next_offset=answer.offset + rendered.shown,
            more=rendered.more,
            asker_id=asker_id,
            guild_id=guild_id,
            home=checks.feedback_collection(guild_id),
            shown=shown_excerpts(answer, rendered.shown),
            ephemeral=ephemeral,
        )

    # --- slash ----------------------------------------------------------------------

    @app_commands.command(name="ask")
    @app_commands.describe(
        question="What you want to know, in your own words",
        page="Which page of excerpts to show (1 is the best matches)",
    )
    async def ask_slash(
        self,
        interaction: discord.Interaction,
        question: app_commands.Range[str, 1, 1000],
        page: app_commands.Range[int, 1, 50] = 1,
    ) -> None:
        """Ask about the stored articles; I answer with quotes and their sources."""
        async with self.bot.busy():
            collections = checks.search_scope(interaction.guild_id, self.bot.settings.bot)
            self.cooldown.hit(interaction.user.id)
            await interaction.response.defer(thinking=True)
            answer, rendered = await self._answer(
                question,
                collections,
                (page - 1) * self._page_size(),
                guild_id=interaction.guild_id,
                user_id=interaction.user.id,
            )
            view = self._view(
                question, collections, answer, rendered, interaction.user.id, interaction.guild_id
            )
            view.message = await interaction.followup.send(
                rendered.content, view=view, suppress_embeds=True, wait=True
            )

    # --- prefix and mention ---------------------------------------------------------

    @commands.command(name="ask")
    async def ask_prefix(self, ctx: commands.Context, *, question: str) -> None:
        """Ask about the stored articles, e.g. !ask who met Kim, and where?"""
        await self._answer_message(ctx.message, question)

    @commands.Cog.listener()
    async def on_mention_question(self, message: discord.Message, question: str) -> None:
        try:
            if not question:
                await message.reply(MENTION_HINT, mention_author=False)
                return
            await self._answer_message(message, question)
        except Exception as exc:  # noqa: BLE001 - listeners have no error handler of their own
            await self.bot.report(message, exc)

    async def _answer_message(self, message: discord.Message, question: str) -> None:
        """Typing indicator while searching, then a reply to the asking message."""
        async with self.bot.busy():
            guild_id = message.guild.id if message.guild else None
            collections = checks.search_scope(guild_id, self.bot.settings.bot)
            self.cooldown.hit(message.author.id)
            async with message.channel.typing():
                answer, rendered = await self._answer(
                    question, collections, guild_id=guild_id, user_id=message.author.id
                )
            view = self._view(question, collections, answer, rendered, message.author.id, guild_id)
            view.message = await message.reply(
                rendered.content, view=view, mention_author=False, suppress_embeds=True
            )

    # --- ask about a message ----------------------------------------------------------

    async def ask_about(self, interaction: discord.Interaction, message: discord.Message):
        """Ask me about this message's text; only you see the answer."""
        async with self.bot.busy():
            question = question_from(message)
            if not question:
                raise Refused("That message has no text to ask about.")
            collections = checks.search_scope(interaction.guild_id, self.bot.settings.bot)
            self.cooldown.hit(interaction.user.id)
            await interaction.response.defer(ephemeral=True, thinking=True)
            answer, rendered = await self._answer(
                question, collections, guild_id=interaction.guild_id, user_id=interaction.user.id
            )
            view = self._view(
                question,
                collections,
                answer,
                rendered,
                interaction.user.id,
                interaction.guild_id,
                ephemeral=True,
            )
            view.message = await interaction.followup.send(
                rendered.content, view=view, suppress_embeds=True, ephemeral=True, wait=True
            )

    # --- delete ---------------------------------------------------------------------

    async def delete_answer(self, interaction: discord.Interaction, message: discord.Message):
        """Delete one of my answers (for the person who asked, or moderators)."""
        if self.bot.user is None or message.author.id != self.bot.user.id:
            raise Refused("That is not one of my answers.")
        asker = await self._asker_of(message)
        if not may_delete(interaction.user.id, asker, interaction.permissions):
            raise Refused(NOT_YOURS)
        await interaction.response.defer(ephemeral=True, thinking=True)
        await message.delete()
        log.info("answer %d deleted by user %d", message.id, interaction.user.id)
        await interaction.followup.send("Deleted.", ephemeral=True)

    async def _asker_of(self, message: discord.Message) -> int | None:
        """Who asked: the slash command's user, or the author of the message replied to."""
        if message.interaction_metadata is not None:
            return message.interaction_metadata.user.id
        reference = message.reference
        if reference is None or reference.message_id is None:
            return None
        if isinstance(reference.resolved, discord.Message):
            return reference.resolved.author.id
        try:
            asked = await message.channel.fetch_message(reference.message_id)
        except discord.HTTPException:
            return None
        return asked.author.id


async def setup(bot: ArchivistBot) -> None:
    await bot.add_cog(Ask(bot))

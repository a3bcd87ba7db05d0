"""Buttons under the bot's replies: more excerpts, delete an answer, page through articles.

Views keep their state in memory and expire (the buttons disappear) after a while;
the "Delete answer" message command keeps working after that, and after a restart.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

import discord

from bot.errors import Refused
from bot.render import ARTICLES_PER_PAGE, pages_for, render_answer, render_article_list

if TYPE_CHECKING:
    from bot.client import ArchivistBot

log = logging.getLogger(__name__)

VIEW_TIMEOUT = 15 * 60.0
NOT_YOURS = (
    "Only the person who asked, or a moderator with Manage Messages, can delete this answer."
)


def may_delete(user_id: int, asker_id: int | None, permissions: discord.Permissions) -> bool:
    return user_id == asker_id or permissions.manage_messages


class BotView(discord.ui.View):
    """A view whose errors go through the bot's handler and whose buttons go away on timeout."""

    def __init__(self, bot: ArchivistBot, *, timeout: float = VIEW_TIMEOUT) -> None:
        super().__init__(timeout=timeout)
        self.bot = bot
        self.message: discord.Message | None = None

    async def on_error(
        self, interaction: discord.Interaction, error: Exception, item: discord.ui.Item
    ) -> None:
        await self.bot.report(interaction, error)

    async def on_timeout(self) -> None:
        if self.message is not None and not self.bot.is_closed():
            with contextlib.suppress(discord.HTTPException):
                await self.message.edit(view=None)


class AnswerView(BotView):
    """**More** replaces the quotes with the next ones; **Delete** removes the answer."""

    def __init__(
        self,
        bot: ArchivistBot,
        *,
        question: str,
        collections: tuple[str, ...],
        next_offset: int,
        more: bool,
        asker_id: int,
    ) -> None:
        super().__init__(bot)
        self.question = question
        self.collections = collections
        self.next_offset = next_offset
        self.asker_id = asker_id
        self.more_button.disabled = not more

    @discord.ui.button(label="More", style=discord.ButtonStyle.secondary)
    async def more_button(
        self, interaction: discord.Interaction, button: discord.ui.Button
    ) -> None:
        async with self.bot.busy():
            await interaction.response.defer()
            answer = await self.bot.call(
                self.bot.service.ask,
                self.question,
                collections=self.collections,
                offset=self.next_offset,
            )
            rendered = render_answer(answer)
            if rendered.shown == 0:
                button.disabled = True
                await interaction.edit_original_response(view=self)
                await interaction.followup.send("There are no more excerpts.", ephemeral=True)
                return
            self.next_offset = answer.offset + rendered.shown
            button.disabled = not rendered.more
            await interaction.edit_original_response(content=rendered.content, view=self)

    @discord.ui.button(label="Delete", style=discord.ButtonStyle.danger)
    async def delete_button(
        self, interaction: discord.Interaction, button: discord.ui.Button
    ) -> None:
        if not may_delete(interaction.user.id, self.asker_id, interaction.permissions):
            raise Refused(NOT_YOURS)
        await interaction.response.defer()
        if interaction.message is not None:
            await interaction.message.delete()
        log.info("answer deleted by user %d", interaction.user.id)
        self.stop()


class ArticlesView(BotView):
    """Previous / Next through ``/articles``."""

    def __init__(
        self, bot: ArchivistBot, *, collections: tuple[str, ...], page: int, pages: int
    ) -> None:
        super().__init__(bot)
        self.collections = collections
        self.page = page
        self.pages = pages
        self._update()

    def _update(self) -> None:
        self.previous_button.disabled = self.page <= 1
        self.next_button.disabled = self.page >= self.pages

    async def _show(self, interaction: discord.Interaction, page: int) -> None:
        async with self.bot.busy():
            await interaction.response.defer()
            service = self.bot.service
            total = await self.bot.call(service.count_articles, collections=self.collections)
            self.pages = pages_for(total)
            self.page = max(1, min(page, self.pages))
            articles = await self.bot.call(
                service.list_articles,
                collections=self.collections,
                limit=ARTICLES_PER_PAGE,
                offset=(self.page - 1) * ARTICLES_PER_PAGE,
            )
            self._update()
            embed = render_article_list(articles, page=self.page, pages=self.pages, total=total)
            await interaction.edit_original_response(embed=embed, view=self)

    @discord.ui.button(label="Previous", style=discord.ButtonStyle.secondary)
    async def previous_button(
        self, interaction: discord.Interaction, button: discord.ui.Button
    ) -> None:
        await self._show(interaction, self.page - 1)

    @discord.ui.button(label="Next", style=discord.ButtonStyle.secondary)
    async def next_button(
        self, interaction: discord.Interaction, button: discord.ui.Button
    ) -> None:
        await self._show(interaction, self.page + 1)

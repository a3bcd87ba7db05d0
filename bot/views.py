"""Buttons under the bot's replies: more excerpts, votes, delete an answer, page through lists.

Views keep their state in memory and expire (the buttons disappear) after a while;
the "Delete answer" message command keeps working after that, and after a restart.
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING

import discord

from bot.errors import Refused
from bot.quotes import render_answer, shown_excerpts
from bot.render import (
    ARTICLES_PER_PAGE,
    GAPS_PER_PAGE,
    pages_for,
    render_article_list,
    render_gaps,
    render_vote,
)

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
    """**More** replaces the quotes with the next ones; **Helpful** / **Not helpful**
    record the clicker's vote (privately); **Delete** removes the answer."""

    def __init__(
        self,
        bot: ArchivistBot,
        *,
        question: str,
        collections: tuple[str, ...],
        next_offset: int,
        more: bool,
        asker_id: int,
        guild_id: int | None,
        home: str,
        shown: tuple[tuple[int, int], ...],
        ephemeral: bool = False,
    ) -> None:
        super().__init__(bot)
        self.question = question
        self.collections = collections
        self.next_offset = next_offset
        self.asker_id = asker_id
        #: The server the answer was given in, and where its votes are recorded.
        self.guild_id = guild_id
        self.home = home
        #: (article id, passage id) of the excerpts on display: what a vote is about.
        self.shown = shown
        self.more_button.disabled = not more
        if not shown or not bot.service.logs_questions:
            # Nothing quoted to rate (already recorded as unanswered), or votes not kept.
            self.remove_item(self.helpful_button)
            self.remove_item(self.unhelpful_button)
        if ephemeral:  # only its reader sees it, and can dismiss it
            self.remove_item(self.delete_button)

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
            self.shown = shown_excerpts(answer, rendered.shown)
            button.disabled = not rendered.more
            await interaction.edit_original_response(content=rendered.content, view=self)

    @discord.ui.button(label="Helpful", style=discord.ButtonStyle.success)
    async def helpful_button(
        self, interaction: discord.Interaction, button: discord.ui.Button
    ) -> None:
        await self._vote(interaction, helpful=True)

    @discord.ui.button(label="Not helpful", style=discord.ButtonStyle.secondary)
    async def unhelpful_button(
        self, interaction: discord.Interaction, button: discord.ui.Button
    ) -> None:
        await self._vote(interaction, helpful=False)

    async def _vote(self, interaction: discord.Interaction, *, helpful: bool) -> None:
        # The click says where it comes from; an answer is rated only where it was given.
        if interaction.guild_id != self.guild_id or interaction.message is None:
            raise Refused("You can rate an answer only in the server where it was given.")
        async with self.bot.busy():
            await interaction.response.defer(ephemeral=True, thinking=True)
            recorded = await self.bot.call(
                self.bot.service.record_vote,
                answer_ref=str(interaction.message.id),
                collection=self.home,
                user_id=str(interaction.user.id),
                helpful=helpful,
                question=self.question,
                excerpts=self.shown,
            )
            await interaction.followup.send(render_vote(recorded), ephemeral=True)

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


class PagedView(BotView):
    """Previous / Next through a list that is counted and shown again on each press."""

    def __init__(self, bot: ArchivistBot, *, page: int, pages: int) -> None:
        super().__init__(bot)
        self.page = page
        self.pages = pages
        self._update()

    def _update(self) -> None:
        self.previous_button.disabled = self.page <= 1
        self.next_button.disabled = self.page >= self.pages

    async def render(self, page: int) -> tuple[discord.Embed, int]:
        """The embed for ``page`` (clamped to the pages there are now) and the page count."""
        raise NotImplementedError

    async def _show(self, interaction: discord.Interaction, page: int) -> None:
        async with self.bot.busy():
            await interaction.response.defer()
            embed, self.pages = await self.render(page)
            self.page = max(1, min(page, self.pages))
            self._update()
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


class ArticlesView(PagedView):
    """Previous / Next through ``/articles``."""

    def __init__(
        self, bot: ArchivistBot, *, collections: tuple[str, ...], page: int, pages: int
    ) -> None:
        self.collections = collections
        super().__init__(bot, page=page, pages=pages)

    async def render(self, page: int) -> tuple[discord.Embed, int]:
        embed, page, pages = await articles_page(self.bot, self.collections, page)
        return embed, pages


async def articles_page(
    bot: ArchivistBot, collections: tuple[str, ...], page: int
) -> tuple[discord.Embed, int, int]:
    """One page of ``/articles`` (clamped to the pages there are), its number and the count."""
    service = bot.service
    total = await bot.call(service.count_articles, collections=collections)
    pages = pages_for(total)
    page = max(1, min(page, pages))
    articles = await bot.call(
        service.list_articles,
        collections=collections,
        limit=ARTICLES_PER_PAGE,
        offset=(page - 1) * ARTICLES_PER_PAGE,
    )
    return render_article_list(articles, page=page, pages=pages, total=total), page, pages


class GapsView(PagedView):
    """Previous / Next through ``/gaps``."""

    def __init__(self, bot: ArchivistBot, *, home: str, days: int, page: int, pages: int) -> None:
        self.home = home
        self.days = days
        super().__init__(bot, page=page, pages=pages)

    async def render(self, page: int) -> tuple[discord.Embed, int]:
        return await gaps_page(self.bot, self.home, self.days, page)


async def gaps_page(
    bot: ArchivistBot, home: str, days: int, page: int
) -> tuple[discord.Embed, int]:
    """One page of ``/gaps`` for a server, and how many pages there are."""
    page = max(1, page)
    report = await bot.call(
        bot.service.gaps,
        collections=(home,),
        days=days,
        limit=GAPS_PER_PAGE,
        offset=(page - 1) * GAPS_PER_PAGE,
    )
    pages = pages_for(report.total, GAPS_PER_PAGE)
    if page > pages:  # the list shrank since: show its last page
        return await gaps_page(bot, home, days, pages)
    embed = render_gaps(report, page=page, pages=pages, logging_on=bot.service.logs_questions)
    return embed, pages

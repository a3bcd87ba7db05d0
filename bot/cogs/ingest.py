"""Storing articles: ``/ingest`` (url, text or file) and ``!ingest`` (url or attachments)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import checks
from bot.errors import Refused
from bot.render import render_ingested, render_outcomes
from knowledge.types import IngestOutcome

if TYPE_CHECKING:
    from bot.client import ArchivistBot

log = logging.getLogger(__name__)

#: Attachments read from one ``!ingest`` message (Discord allows 10).
MAX_ATTACHMENTS = 10
USAGE = (
    "Give a link (`!ingest https://…`) or attach .txt, .md, .html or .jsonl files "
    "to the `!ingest` message. For pasted text use `/ingest text:… title:…`."
)


def added_by(user: discord.abc.User) -> str:
    return f"{user.name} ({user.id})"


class Ingest(commands.Cog):
    """Add articles to this server's collection."""

    def __init__(self, bot: ArchivistBot) -> None:
        self.bot = bot
        self.cooldown = checks.Cooldown(bot.settings.bot.ingest_cooldown)

    @property
    def max_bytes(self) -> int:
        return self.bot.settings.knowledge.max_document_bytes

    # --- slash ----------------------------------------------------------------------

    @app_commands.command(name="ingest")
    @app_commands.describe(
        url="A web page to store",
        text="Article text to store (pasted)",
        title="The article's title, instead of the one found",
        file="A .txt, .md, .html or .jsonl file to store",
        date="The article's date (2025-07-12), instead of the one found",
        author="The article's author, instead of the one found",
    )
    @app_commands.guild_only()
    async def ingest_slash(
        self,
        interaction: discord.Interaction,
        url: str | None = None,
        text: str | None = None,
        title: app_commands.Range[str, 1, 300] | None = None,
        file: discord.Attachment | None = None,
        date: app_commands.Range[str, 4, 40] | None = None,
        author: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        """Store an article for this server: a web page, pasted text, or a file."""
        async with self.bot.busy():
            given = sum(value is not None for value in (url, text, file))
            if given != 1:
                raise Refused("Give exactly one of `url`, `text` or `file`.")
            meta = {"title": title, "date": date, "author": author}
            collection = checks.home_collection(interaction.guild_id)
            checks.require_editor(
                interaction.user,
                interaction.permissions,
                interaction.guild,
                self.bot.settings.bot,
                "ingest",
            )
            if file is not None:
                checks.check_attachment(file.filename, file.size, self.max_bytes)
            self.cooldown.hit(interaction.user.id)
            await interaction.response.defer(thinking=True)
            who = added_by(interaction.user)
            service = self.bot.service
            if url is not None:
                result = await self.bot.call(
                    service.ingest_url,
                    url.strip("<> "),
                    collection=collection,
                    added_by=who,
                    **meta,
                )
                reply = render_ingested(result)
            elif text is not None:
                result = await self.bot.call(
                    service.ingest_text,
                    text,
                    **meta,
                    collection=collection,
                    added_by=who,
                    source_ref=await _response_link(interaction),
                )
                reply = render_ingested(result)
            else:
                assert file is not None
                outcomes = await self._ingest_file(
                    file, collection, who, await _response_link(interaction), meta
                )
                reply = render_outcomes(outcomes)
            await interaction.followup.send(reply, suppress_embeds=True)

    # --- prefix ---------------------------------------------------------------------

    @commands.command(name="ingest")
    async def ingest_prefix(self, ctx: commands.Context, url: str | None = None) -> None:
        """Store an article: !ingest <link>, or !ingest with .txt/.md/.html/.jsonl files."""
        async with self.bot.busy():
            collection = checks.home_collection(ctx.guild.id if ctx.guild else None)
            permissions = ctx.channel.permissions_for(ctx.author)  # type: ignore[arg-type]
            checks.require_editor(
                ctx.author, permissions, ctx.guild, self.bot.settings.bot, "ingest"
            )
            attachments = ctx.message.attachments[:MAX_ATTACHMENTS]
            if url is None and not attachments:
                raise Refused(USAGE)
            self.cooldown.hit(ctx.author.id)
            who = added_by(ctx.author)
            async with ctx.typing():
                if url is not None:
                    result = await self.bot.call(
                        self.bot.service.ingest_url,
                        url.strip("<>"),
                        collection=collection,
                        added_by=who,
                    )
                    reply = render_ingested(result)
                else:
                    outcomes: list[IngestOutcome] = []
                    for attachment in attachments:
                        outcomes += await self._ingest_file(
                            attachment, collection, who, ctx.message.jump_url
                        )
                    reply = render_outcomes(outcomes)
            await ctx.reply(reply, mention_author=False, suppress_embeds=True)

    # --- shared ---------------------------------------------------------------------

    async def _ingest_file(
        self,
        attachment: discord.Attachment,
        collection: str,
        who: str,
        source_ref: str,
        meta: dict[str, str | None] | None = None,
    ) -> list[IngestOutcome]:
        """Check the declared size and type first, then download and store."""
        try:
            checks.check_attachment(attachment.filename, attachment.size, self.max_bytes)
        except Refused as refused:
            return [IngestOutcome(attachment.filename, error=refused.message)]
        try:
            data = await attachment.read()
        except discord.HTTPException as exc:
            log.warning("could not download attachment %s: %s", attachment.filename, exc)
            return [IngestOutcome(attachment.filename, error="Discord did not hand me the file.")]
        if len(data) > self.max_bytes:  # the declared size was wrong
            return [IngestOutcome(attachment.filename, error="The file is over the size limit.")]
        return await self.bot.call(
            self.bot.service.ingest_bytes,
            attachment.filename,
            data,
            content_type=attachment.content_type,
            collection=collection,
            added_by=who,
            source_ref=source_ref,
            **(meta or {}),
        )


async def _response_link(interaction: discord.Interaction) -> str:
    """Where a slash-command ingest was posted: the reply's jump link, else the channel's."""
    try:
        return (await interaction.original_response()).jump_url
    except discord.HTTPException as exc:
        log.debug("no original response link: %s", exc)
    channel = interaction.channel
    return channel.jump_url if channel is not None and hasattr(channel, "jump_url") else ""


async def setup(bot: ArchivistBot) -> None:
    await bot.add_cog(Ingest(bot))

"""Storing articles: ``/ingest`` (url, text or file), ``!ingest`` (url or attachments),
*Apps → Store in Archivist* on any message, and links or files posted in an ingest channel."""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot import checks
from bot.errors import Refused
from bot.render import render_ingested, render_outcomes
from knowledge.errors import KnowledgeError
from knowledge.filetypes import SUPPORTED_CHOICE
from knowledge.types import IngestOutcome

if TYPE_CHECKING:
    from bot.client import ArchivistBot

log = logging.getLogger(__name__)

#: Attachments read from one ``!ingest`` message (Discord allows 10).
MAX_ATTACHMENTS = 10
#: Links stored from one message (ingest channel, *Store in Archivist*).
MAX_LINKS = 5
STORED, DUPLICATE = (
    "\N{WHITE HEAVY CHECK MARK}",
    "\N{CLOCKWISE RIGHTWARDS AND LEFTWARDS OPEN CIRCLE ARROWS}",
)
NOTHING_TO_STORE = f"That message has no link or {SUPPORTED_CHOICE} file to store."
_LINK = re.compile(r"https?://[^\s<>]+")
USAGE = (
    f"Give a link (`!ingest https://…`) or attach {SUPPORTED_CHOICE} files "
    "to the `!ingest` message. For pasted text use `/ingest text:… title:…`."
)


def added_by(user: discord.abc.User) -> str:
    return f"{user.name} ({user.id})"


def links_in(text: str) -> list[str]:
    """The web links in a message, in order, each once (at most :data:`MAX_LINKS`)."""
    found: list[str] = []
    for match in _LINK.finditer(text or ""):
        url = match.group(0).rstrip(".,;:!?'\"")
        if url.endswith(")") and "(" not in url:  # (see https://example.org)
            url = url[:-1]
        if url not in found:
            found.append(url)
    return found[:MAX_LINKS]


def clean_url(url: str) -> str:
    """A link as typed: Discord's ``<…>`` (no preview) and stray spaces taken off."""
    return url.strip("<> ")


@dataclass(frozen=True)
class Request:
    """What one ``/ingest`` or ``!ingest`` asks to store: a link, text, or files."""

    url: str | None = None
    text: str | None = None
    files: list[discord.Attachment] = field(default_factory=list)
    meta: dict[str, str | None] = field(default_factory=dict)


class Ingest(commands.Cog):
    """Add articles to this server's collection."""

    def __init__(self, bot: ArchivistBot) -> None:
        self.bot = bot
        self.cooldown = checks.Cooldown(bot.settings.bot.ingest_cooldown)
        self.store_menu = app_commands.ContextMenu(
            name="Store in Archivist", callback=self.store_message
        )
        self.store_menu.guild_only = True

    async def cog_load(self) -> None:
        self.bot.tree.add_command(self.store_menu)

    async def cog_unload(self) -> None:
        self.bot.tree.remove_command(self.store_menu.name, type=self.store_menu.type)

    @property
    def max_bytes(self) -> int:
        return self.bot.settings.knowledge.max_document_bytes

    # --- slash ----------------------------------------------------------------------

    @app_commands.command(name="ingest")
    @app_commands.describe(
        url="A web page to store",
        text="Article text to store (pasted)",
        title="The article's title, instead of the one found",
        file=f"A {SUPPORTED_CHOICE} file to store",
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
            if sum(value is not None for value in (url, text, file)) != 1:
                raise Refused("Give exactly one of `url`, `text` or `file`.")
            request = Request(
                url=url,
                text=text,
                files=[file] if file is not None else [],
                meta={"title": title, "date": date, "author": author},
            )
            collection, files = self._check(
                request,
                interaction.guild_id,
                interaction.user,
                interaction.permissions,
                interaction.guild,
            )
            await interaction.response.defer(thinking=True)
            # The reply's own link is the source of pasted text and files; a page has its URL.
            source_ref = await _response_link(interaction) if url is None else ""
            who = added_by(interaction.user)
            reply = await self._store(request, collection, files, who, source_ref)
            await interaction.followup.send(reply, suppress_embeds=True)

    # --- prefix ---------------------------------------------------------------------

    @commands.command(
        name="ingest",
        help=f"Store an article: !ingest <link>, or !ingest with {SUPPORTED_CHOICE} files.",
    )
    async def ingest_prefix(self, ctx: commands.Context, url: str | None = None) -> None:
        async with self.bot.busy():
            attachments = ctx.message.attachments[:MAX_ATTACHMENTS]
            if url is None and not attachments:
                raise Refused(USAGE)
            # A link wins over attachments: it is the command's argument.
            request = Request(url=url, files=[] if url is not None else attachments)
            permissions = ctx.channel.permissions_for(ctx.author)  # type: ignore[arg-type]
            collection, files = self._check(
                request, ctx.guild.id if ctx.guild else None, ctx.author, permissions, ctx.guild
            )
            async with ctx.typing():
                who, source_ref = added_by(ctx.author), ctx.message.jump_url
                reply = await self._store(request, collection, files, who, source_ref)
            await ctx.reply(reply, mention_author=False, suppress_embeds=True)

    # --- the one path behind both ---------------------------------------------------

    def _check(
        self,
        request: Request,
        guild_id: int | None,
        user: discord.abc.User,
        permissions: discord.Permissions,
        guild: discord.Guild | None,
    ) -> tuple[str, list[discord.Attachment | IngestOutcome]]:
        """Where, who, which files, how often: the checks of ``/ingest`` and ``!ingest``, in
        this order, before anything is fetched or the cooldown is spent. Returns the
        collection and each file, or why it is refused.

        Takes the guild's id as well: an interaction from a server the bot has not cached
        carries its id but no guild.
        """
        collection = checks.home_collection(guild_id)
        checks.require_editor(user, permissions, guild, self.bot.settings.bot, "ingest")
        files = [self._check_file(attachment) for attachment in request.files]
        refused = [f.error for f in files if isinstance(f, IngestOutcome) and f.error]
        if files and request.url is None and request.text is None and len(refused) == len(files):
            raise Refused("\n".join(refused))  # nothing left to store: say why at once
        self.cooldown.hit(user.id)
        return collection, files

    async def _store(
        self,
        request: Request,
        collection: str,
        files: list[discord.Attachment | IngestOutcome],
        who: str,
        source_ref: str,
    ) -> str:
        """Fetch or read what passed :meth:`_check`, store it, and say what happened."""
        service = self.bot.service
        if request.url is not None:
            result = await self.bot.call(
                service.ingest_url,
                clean_url(request.url),
                collection=collection,
                added_by=who,
                **request.meta,
            )
            return render_ingested(result)
        if request.text is not None:
            result = await self.bot.call(
                service.ingest_text,
                request.text,
                **request.meta,
                collection=collection,
                added_by=who,
                source_ref=source_ref,
            )
            return render_ingested(result)
        outcomes: list[IngestOutcome] = []
        for file in files:
            if isinstance(file, IngestOutcome):
                outcomes.append(file)
            else:
                outcomes += await self._download_and_store(
                    file, collection, who, source_ref, request.meta
                )
        return render_outcomes(outcomes)

    # --- any message: the context menu and ingest channels ------------------------------

    async def store_message(self, interaction: discord.Interaction, message: discord.Message):
        """Store this message's links and files in this server's archive (editors only)."""
        async with self.bot.busy():
            collection = checks.home_collection(interaction.guild_id)
            checks.require_interaction_editor(interaction, self.bot.settings.bot, "ingest")
            if not links_in(message.content) and not message.attachments:
                raise Refused(NOTHING_TO_STORE)
            self.cooldown.hit(interaction.user.id)
            await interaction.response.defer(thinking=True)
            outcomes = await self._ingest_message(message, collection, added_by(interaction.user))
            await interaction.followup.send(render_outcomes(outcomes), suppress_embeds=True)

    @commands.Cog.listener()
    async def on_ingest_channel_message(self, message: discord.Message) -> None:
        """A message in an ingest channel: an editor's links and files are stored."""
        try:
            if message.guild is None or not isinstance(message.author, discord.Member):
                return
            if not links_in(message.content) and not message.attachments:
                return  # conversation, not an article
            permissions = message.channel.permissions_for(message.author)  # type: ignore[union-attr]
            if not checks.is_editor(message.author, permissions, self.bot.settings.bot):
                return  # only editors store here; everyone else just talks
            async with self.bot.busy():
                self.cooldown.hit(message.author.id)
                collection = checks.home_collection(message.guild.id)
                async with message.channel.typing():
                    outcomes = await self._ingest_message(
                        message, collection, added_by(message.author)
                    )
                await self._acknowledge(message, outcomes)
        except Exception as exc:  # noqa: BLE001 - listeners have no error handler of their own
            await self.bot.report(message, exc)

    async def _acknowledge(self, message: discord.Message, outcomes: list[IngestOutcome]) -> None:
        """✅ when something was stored, 🔁 for a duplicate; a reply naming what was
        stored (title and id) and why anything was refused."""
        results = [o.result for o in outcomes if o.result is not None]
        for emoji, present in (
            (STORED, any(not r.duplicate for r in results)),
            (DUPLICATE, any(r.duplicate for r in results)),
        ):
            if present:
                try:
                    await message.add_reaction(emoji)
                except discord.HTTPException as exc:
                    log.warning("could not react to message %d: %s", message.id, exc)
        worth_saying = [o for o in outcomes if o.result is None or not o.result.duplicate]
        if worth_saying:
            with contextlib.suppress(discord.HTTPException):
                await message.reply(
                    render_outcomes(worth_saying), mention_author=False, suppress_embeds=True
                )

    async def _ingest_message(
        self, message: discord.Message, collection: str, who: str
    ) -> list[IngestOutcome]:
        """Every link (fetched) and attachment (downloaded) of a message, stored."""
        outcomes: list[IngestOutcome] = []
        for url in links_in(message.content):
            try:
                result = await self.bot.call(
                    self.bot.service.ingest_url, url, collection=collection, added_by=who
                )
                outcomes.append(IngestOutcome(url, result=result))
            except KnowledgeError as exc:
                outcomes.append(IngestOutcome(url, error=str(exc)))
        for attachment in message.attachments[:MAX_ATTACHMENTS]:
            checked = self._check_file(attachment)
            if isinstance(checked, IngestOutcome):
                outcomes.append(checked)
            else:
                outcomes += await self._download_and_store(
                    checked, collection, who, message.jump_url
                )
        return outcomes

    # --- shared ---------------------------------------------------------------------

    def _check_file(self, attachment: discord.Attachment) -> discord.Attachment | IngestOutcome:
        """The attachment, or why it is refused by its name and declared size (not fetched)."""
        try:
            checks.check_attachment(attachment.filename, attachment.size, self.max_bytes)
        except Refused as refused:
            return IngestOutcome(attachment.filename, error=refused.message)
        return attachment

    async def _download_and_store(
        self,
        attachment: discord.Attachment,
        collection: str,
        who: str,
        source_ref: str,
        meta: dict[str, str | None] | None = None,
    ) -> list[IngestOutcome]:
        """Download a checked attachment and store it (a .jsonl file holds many articles)."""
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

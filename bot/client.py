"""The Discord client: intents, cogs, slash-command sync, and the one error handler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.checks import channel_allowed, ingest_channel, require_channel
from bot.errors import APOLOGY, Refused, describe

if TYPE_CHECKING:
    from knowledge import Archivist
    from runtime.settings import Settings

log = logging.getLogger(__name__)

T = TypeVar("T")

# Archivist never joins voice: spare moderators two warnings about voice libraries.
discord.VoiceClient.warn_nacl = False
discord.VoiceClient.warn_dave = False

EXTENSIONS = ("bot.cogs.ask", "bot.cogs.ingest", "bot.cogs.manage", "bot.cogs.feedback")

#: Where an error can be answered: a slash command or button, a prefix command, a message.
Origin = discord.Interaction | commands.Context | discord.Message


class ArchivistTree(app_commands.CommandTree):
    """Slash commands: the channel allow-list first, and errors into the bot's handler."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        bot: ArchivistBot = interaction.client  # type: ignore[assignment]
        if interaction.type is discord.InteractionType.autocomplete:
            # Suggestions cannot carry an error message: outside the allow-list, none.
            return channel_allowed(interaction.channel, bot.settings.bot)
        require_channel(interaction.channel, bot.settings.bot)
        return True

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError, /
    ) -> None:
        bot: ArchivistBot = interaction.client  # type: ignore[assignment]
        await bot.report(interaction, error)


class ArchivistHelp(commands.DefaultHelpCommand):
    """``!help``: the prefix commands, then where to find the rest."""

    def __init__(self) -> None:
        super().__init__(no_category="Other", verify_checks=False)

    def get_ending_note(self) -> str:
        return (
            super().get_ending_note() + "\nSlash commands: /ask /ingest /articles /article "
            "/remove /stats /gaps /forget-me. On any message, Apps → Ask Archivist or Store in "
            "Archivist; on one of my answers, Apps → Delete answer."
        )


class ArchivistBot(commands.Bot):
    """Archivist on Discord: a thin face over a :class:`knowledge.Archivist` service.

    Commands run the blocking service calls through :meth:`call` (a worker thread, so
    the gateway heartbeat keeps going) inside :meth:`busy` (so a shutdown can wait for
    them and refuse new ones).
    """

    def __init__(self, settings: Settings, service: Archivist, **options: Any) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.guild_messages = True
        intents.dm_messages = True
        intents.message_content = True  # privileged: enable it in the Developer Portal
        super().__init__(
            command_prefix=commands.when_mentioned_or(settings.bot.command_prefix),
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=ArchivistTree,
            help_command=ArchivistHelp(),
            description="Archivist answers questions with verbatim quotes from stored articles.",
            **options,
        )
        self.settings = settings
        self.service = service
        self.stopping = False
        #: Embeds newly stored passages in the background (None: semantic search off).
        self.embedding = None
        self._busy = 0
        self._idle = asyncio.Event()
        self._idle.set()

    # --- lifecycle ------------------------------------------------------------------

    async def setup_hook(self) -> None:
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        self.embedding = self.service.embedding_worker()
        if self.embedding is not None:
            self.embedding.start()
        await self._sync_commands()

    async def close(self) -> None:
        if self.embedding is not None:
            # The batch in progress finishes and is stored; the rest waits in the store.
            await asyncio.to_thread(self.embedding.stop)
        await super().close()

    async def _sync_commands(self) -> None:
        dev_guild = self.settings.bot.dev_guild_id
        try:
            if dev_guild:
                guild = discord.Object(id=dev_guild)
                self.tree.copy_global_to(guild=guild)
                synced = await self.tree.sync(guild=guild)
                log.info("synced %d slash commands to server %d", len(synced), dev_guild)
            else:
                synced = await self.tree.sync()
                log.info(
                    "synced %d slash commands globally (may take a while to show)", len(synced)
                )
        except discord.HTTPException as exc:
            # Prefix commands and mentions still work; say why slash commands may be stale.
            log.error("could not sync slash commands: %s", exc)

    async def on_ready(self) -> None:
        log.info(
            "connected as %s (id %s) to %d servers%s", self.user, self.user and self.user.id,
            len(self.guilds), self._shards_note(),
        )  # fmt: skip

    def _shards_note(self) -> str:
        return ""

    @contextlib.asynccontextmanager
    async def busy(self) -> AsyncIterator[None]:
        """Mark a command in progress; refuse new ones once shutting down."""
        if self.stopping:
            raise Refused("I'm restarting; try again in a minute.")
        self._busy += 1
        self._idle.clear()
        try:
            yield
        finally:
            self._busy -= 1
            if not self._busy:
                self._idle.set()

    async def call(self, function: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run a blocking service call in a worker thread."""
        return await asyncio.to_thread(function, *args, **kwargs)

    async def shutdown(self, timeout: float) -> None:
        """Stop taking commands, let those in progress finish (bounded), then disconnect."""
        self.stopping = True
        if self._busy:
            log.info("waiting up to %.0f s for %d commands in progress", timeout, self._busy)
            try:
                await asyncio.wait_for(self._idle.wait(), timeout)
            except TimeoutError:
                log.warning("gave up waiting for %d commands in progress", self._busy)
        await self.close()

    # --- messages -------------------------------------------------------------------

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.user is None:
            return
        in_server = message.guild is not None
        allowed = not in_server or channel_allowed(message.channel, self.settings.bot)
        ingesting = in_server and ingest_channel(message.channel, self.settings.bot)
        if not allowed and not ingesting:
            return  # stay quiet outside the allow-list rather than answer everywhere
        if allowed:
            ctx = await self.get_context(message)
            if ctx.command is not None:
                await self.invoke(ctx)
                return
        if ingesting:
            # Links and files posted here are stored without a command (editors only).
            self.dispatch("ingest_channel_message", message)
            return
        question = self._mention_question(message)
        if question is not None:
            self.dispatch("mention_question", message, question)

    def _mention_question(self, message: discord.Message) -> str | None:
        """The text around an explicit @mention of the bot (a reply's ping does not count)."""
        assert self.user is not None
        pattern = re.compile(rf"<@!?{self.user.id}>")
        if not pattern.search(message.content):
            return None
        return " ".join(pattern.sub(" ", message.content).split())

    # --- errors ---------------------------------------------------------------------

    async def on_command_error(self, ctx: commands.Context, error: commands.CommandError) -> None:
        if isinstance(error, commands.CommandNotFound):
            return
        if isinstance(error, commands.MissingRequiredArgument) and ctx.command is not None:
            usage = f"{ctx.clean_prefix}{ctx.command.qualified_name} {ctx.command.signature}"
            await self.reply_quietly(ctx, f"Usage: `{usage.strip()}`")
            return
        await self.report(ctx, error)

    async def report(self, origin: Origin, error: BaseException) -> None:
        """Tell the user what went wrong in one line; log anything unexpected in full."""
        text = describe(error)
        if text is None:
            where = _describe_origin(origin)
            log.error("unexpected error in %s", where, exc_info=error)
            text = APOLOGY
        await self.reply_quietly(origin, text)

    async def reply_quietly(self, origin: Origin, text: str) -> None:
        """Ephemeral for interactions, a reply otherwise; never raises."""
        try:
            if isinstance(origin, discord.Interaction):
                if origin.response.is_done():
                    await origin.followup.send(text, ephemeral=True)
                else:
                    await origin.response.send_message(text, ephemeral=True)
            else:
                await origin.reply(text, mention_author=False)
        except discord.HTTPException as exc:
            log.warning("could not send an error reply: %s", exc)


class ShardedArchivistBot(ArchivistBot, commands.AutoShardedBot):
    """Archivist over some or all of the bot's shards, in one process.

    Discord sends each server's events to one shard, ``(guild_id >> 22) % shard_count``;
    direct messages go to shard 0. Processes running other shards of the same bot share
    the store (PostgreSQL): an article one stores is read by the others at their next
    question, through the store's generation.
    """

    def __init__(self, settings: Settings, service: Archivist) -> None:
        super().__init__(
            settings,
            service,
            shard_count=settings.bot.shard_count,
            shard_ids=list(settings.bot.shard_ids) if settings.bot.shard_ids else None,
        )

    def _shards_note(self) -> str:
        ids = ",".join(map(str, sorted(self.shards)))
        return f" on shards {ids} of {self.shard_count}"

    async def on_shard_ready(self, shard_id: int) -> None:
        log.info("shard %d of %s ready", shard_id, self.shard_count)


def make_bot(settings: Settings, service: Archivist) -> ArchivistBot:
    """The bot the settings ask for: sharded when ``ARCHIVIST_SHARD_COUNT`` is set."""
    if settings.bot.sharded:
        return ShardedArchivistBot(settings, service)
    return ArchivistBot(settings, service)


def _describe_origin(origin: Origin) -> str:
    if isinstance(origin, discord.Interaction):
        data = origin.data or {}
        name = origin.command.qualified_name if origin.command else data.get("custom_id", "?")
        return f"interaction {name!r} from user {origin.user.id}"
    if isinstance(origin, commands.Context):
        return f"command {origin.invoked_with!r} from user {origin.author.id}"
    return f"message {origin.id} from user {origin.author.id}"

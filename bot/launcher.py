"""Start the bot, run it until SIGTERM or SIGINT, and stop it cleanly.

``archivist run`` and ``python -m bot`` both end up in :func:`run`. Logging is set up by
the caller (the entry point); this module only opens the service and drives the bot.

Exit status: 0 after a clean stop, 1 when Discord refuses the token or the intents or the
database cannot be opened, 2 when no token is configured. Those failures print one line
to stderr, no traceback.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import signal
import sys
from typing import TYPE_CHECKING

import aiohttp
import discord
import yarl
from discord.gateway import DiscordWebSocket

from bot.client import ArchivistBot, make_bot
from knowledge import Archivist
from knowledge.errors import KnowledgeError

if TYPE_CHECKING:
    from runtime.settings import Settings

log = logging.getLogger(__name__)

PROG = "archivist"
#: How long a stop waits for commands in progress (an ingest can be fetching a page).
SHUTDOWN_GRACE = 30.0
CONNECT_GRACE = 10.0


def run(settings: Settings) -> int:
    """Run the bot with ``settings`` until it is told to stop; return the exit status."""
    token = settings.bot.token
    if not token:
        _fail("DISCORD_TOKEN is not set; put it in .env or the environment")
        return 2
    if settings.bot.api_base:
        point_at(settings.bot.api_base)
    problem = _shared_store_problem(settings)
    if problem:
        _fail(problem)
        return 2
    try:
        service = Archivist(settings.knowledge)
    except KnowledgeError as exc:
        _fail(f"cannot open the database: {exc}")
        return 1
    try:
        status = asyncio.run(_serve(settings, service, token))
    finally:
        service.close()
    if status == 0:
        log.info("stopped cleanly")
    return status


def _shared_store_problem(settings: Settings) -> str | None:
    """Why this process may not run only some of the shards on this store, if it may not.

    Other processes run the other shards: on a SQLite file they would take turns for one
    write lock (ingests and background embedding wait on each other, up to the 30-second
    timeout), every process must sit on the machine that holds the file, and two
    background workers would embed the same passages. PostgreSQL has none of these limits.
    """
    if not settings.bot.shares_shards:
        return None
    if not settings.knowledge.database_url.startswith("sqlite"):
        return None
    ids = ",".join(map(str, settings.bot.shard_ids or ()))
    return (
        f"ARCHIVIST_SHARD_IDS={ids} runs some of the {settings.bot.shard_count} shards, so other "
        "processes share the store: that needs PostgreSQL, not a SQLite file. Set DATABASE_URL "
        "to postgresql+psycopg://… (move the store with `archivist copy --to URL`), or run every "
        "shard in this one process (leave ARCHIVIST_SHARD_IDS unset)."
    )


def point_at(api_base: str) -> None:
    """Send discord.py's REST calls to ``api_base`` (a test server); the gateway follows.

    ``api_base`` is ``http://host:port`` or already ends in ``/api/v10``. The gateway URL is
    then asked from that API (``GET /gateway/bot``), as a real client would.
    """
    base = api_base.rstrip("/")
    if not re.search(r"/api/v\d+$", base):
        base += "/api/v10"
    discord.http.Route.BASE = base
    log.info("using the Discord API at %s", base)


async def _use_gateway_from_api(bot: ArchivistBot) -> None:
    _shards, url, _limits = await bot.http.get_bot_gateway()
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)


async def _connect(bot: ArchivistBot, settings: Settings, token: str) -> None:
    await bot.login(token)
    if settings.bot.api_base:
        await _use_gateway_from_api(bot)
    await bot.connect(reconnect=True)


async def _serve(settings: Settings, service: Archivist, token: str) -> int:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    signals = (signal.SIGTERM, signal.SIGINT)
    for signum in signals:
        loop.add_signal_handler(signum, _on_signal, signum, stop)
    try:
        async with make_bot(settings, service) as bot:
            runner = asyncio.create_task(_connect(bot, settings, token), name="discord")
            stopper = asyncio.create_task(stop.wait(), name="stop")
            await asyncio.wait({runner, stopper}, return_when=asyncio.FIRST_COMPLETED)
            if runner.done():
                stopper.cancel()
                return _why_it_ended(runner)
            await bot.shutdown(SHUTDOWN_GRACE)
            try:
                await asyncio.wait_for(runner, CONNECT_GRACE)
            except Exception as exc:  # noqa: BLE001 - closing; the connection's end is moot
                log.debug("connection ended with %r while stopping", exc)
            return 0
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)


def _on_signal(signum: int, stop: asyncio.Event) -> None:
    if stop.is_set():
        log.warning("second %s: stopping now", signal.Signals(signum).name)
        raise SystemExit(1)
    log.info(
        "%s received: finishing commands in progress, then stopping", signal.Signals(signum).name
    )
    stop.set()


def _why_it_ended(runner: asyncio.Task) -> int:
    """Exit status when the connection ended on its own: one line for the usual causes."""
    exc = runner.exception()
    if exc is None:
        return 0
    if isinstance(exc, discord.LoginFailure):
        _fail("Discord rejected DISCORD_TOKEN; copy the bot token again from the Developer Portal")
    elif isinstance(exc, discord.PrivilegedIntentsRequired):
        _fail(
            "Discord refused the Message Content intent; enable it under Bot → Privileged "
            "Gateway Intents in the Developer Portal"
        )
    elif isinstance(exc, aiohttp.ClientError | OSError | discord.GatewayNotFound):
        _fail(f"cannot reach Discord: {exc}")
    elif isinstance(exc, discord.HTTPException):
        _fail(f"Discord refused the connection: {exc}")
    else:
        log.error("the bot stopped on an unexpected error", exc_info=exc)
        _fail(f"the bot stopped on an unexpected error: {type(exc).__name__}: {exc}")
    return 1


def _fail(message: str) -> None:
    with contextlib.suppress(OSError):
        print(f"{PROG}: {message}", file=sys.stderr, flush=True)

"""pytest glue: the ``fake_discord`` fixture, pointing discord.py at it, running a client.

Enable in every test module with one line in ``tests/conftest.py``::

    pytest_plugins = ["tests.fakediscord.fixtures"]

or per module: ``from tests.fakediscord.fixtures import fake_discord  # noqa: F401``.

Example::

    async def test_ping(fake_discord):
        bot = make_bot()                      # any discord.Client / commands.Bot
        alice = fake_discord.guild.member("alice")
        general = fake_discord.guild.channel("general")
        async with running_client(bot, fake_discord):
            await fake_discord.send_message(general, alice, "!ping")
            reply = await fake_discord.wait_for_message(general)
        assert reply["content"] == "pong"
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

import discord
import discord.asset
import discord.gateway
import discord.http
import pytest
import pytest_asyncio
import yarl

from .model import MANAGE_MESSAGES, VIEW_CHANNEL, Overwrite
from .server import FakeDiscord

if TYPE_CHECKING:
    from .recording import Call

# How long discord.py waits after the last GUILD_CREATE before on_ready (default 2 s).
# The fake sends every GUILD_CREATE right after READY, so a short wait loses nothing.
FAST_GUILD_READY_TIMEOUT = 0.1


def populate_default_world(fake: FakeDiscord) -> None:
    """One guild, "Archive Club", that most tests need:

    * roles: ``@everyone`` (Discord's defaults), ``Editors`` (Manage Messages), the bot's
      managed role (named after the bot)
    * channels: ``general`` (everyone), ``staff`` (hidden from @everyone, visible to Editors
      and the bot)
    * members: ``alice`` (Editors), ``bob`` (no roles), the owner, the bot
    """
    guild = fake.add_guild("Archive Club")
    editors = guild.add_role("Editors", MANAGE_MESSAGES)
    guild.add_channel("general", topic="Talk about the archive")
    guild.add_channel(
        "staff",
        overwrites=[
            Overwrite.for_(guild.everyone, deny=VIEW_CHANNEL),
            Overwrite.for_(editors, allow=VIEW_CHANNEL),
            Overwrite.for_(fake.bot_member(guild), allow=VIEW_CHANNEL),
        ],
    )
    guild.add_member(fake.add_user("alice"), roles=[editors])
    guild.add_member(fake.add_user("bob"))


def point_discord_at(fake: FakeDiscord, setattr: Callable[[Any, str, Any], None]) -> None:
    """Aim discord.py's REST base (also used by interaction webhooks), default gateway URL and
    CDN base at ``fake``, through ``setattr`` (``monkeypatch.setattr`` restores afterwards).

    discord.py's plain ``Client`` never asks ``GET /gateway/bot``: it connects straight to
    ``DiscordWebSocket.DEFAULT_GATEWAY``, so that needs patching as well as ``Route.BASE``.
    """
    setattr(discord.http.Route, "BASE", fake.api_base)
    setattr(discord.gateway.DiscordWebSocket, "DEFAULT_GATEWAY", yarl.URL(fake.gateway_url))
    setattr(discord.asset.Asset, "BASE", fake.base_url)


@contextlib.contextmanager
def discord_pointed_at(fake: FakeDiscord) -> Iterator[None]:
    """``point_discord_at`` for code without pytest's monkeypatch; restores on exit."""
    saved: list[tuple[Any, str, Any]] = []

    def set_and_remember(target: Any, name: str, value: Any) -> None:
        saved.append((target, name, getattr(target, name)))
        setattr(target, name, value)

    point_discord_at(fake, set_and_remember)
    try:
        yield
    finally:
        for target, name, value in reversed(saved):
            setattr(target, name, value)


@pytest_asyncio.fixture
async def fake_discord(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[FakeDiscord]:
    """A started ``FakeDiscord`` with the default world, discord.py pointed at it."""
    async with FakeDiscord() as fake:
        populate_default_world(fake)
        point_discord_at(fake, monkeypatch.setattr)
        yield fake
        if fake.errors:
            pytest.fail(f"fake Discord crashed handling a request: {fake.errors[0]!r}")


@contextlib.asynccontextmanager
async def running_client(
    client: discord.Client,
    fake: FakeDiscord,
    *,
    token: str | None = None,
    guild_ready_timeout: float | None = FAST_GUILD_READY_TIMEOUT,
    timeout: float = 10.0,
) -> AsyncIterator[discord.Client]:
    """Run ``client.start(token)`` as a task until on_ready; close it cleanly on exit.

    Args:
        client: Any ``discord.Client`` (``commands.Bot`` included), not yet started.
        fake: The fake it talks to (discord.py must already point at it).
        token: Defaults to the fake's accepted token; pass another to test rejection.
        guild_ready_timeout: Overrides discord.py's 2 s wait for GUILD_CREATEs before
            on_ready; None keeps the client's own setting.
        timeout: Safety bound for reaching on_ready.

    Raises:
        discord.LoginFailure: The fake rejected the token (as does any startup error:
            whatever ``client.start`` raised before on_ready is re-raised here).
    """
    if guild_ready_timeout is not None:
        client._connection.guild_ready_timeout = guild_ready_timeout
    calls_before = len(fake.calls)
    task = asyncio.create_task(client.start(token or fake.token), name="fake-discord-client")
    try:
        await _wait_ready(client, fake, task, calls_before, timeout)
        yield client
    finally:
        await client.close()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def _wait_ready(
    client: discord.Client,
    fake: FakeDiscord,
    task: asyncio.Task[None],
    calls_before: int,
    timeout: float,
) -> None:
    def logged_in(call: Call) -> bool:
        return call.index >= calls_before and call.path == "/users/@me"

    # wait_until_ready() may only be awaited once login() has set the client up, which it
    # does before its first request (GET /users/@me).
    await fake.wait_until(
        lambda: task.done() or any(map(logged_in, fake.calls)),
        timeout=timeout,
        what="the client to log in",
    )
    ready = asyncio.ensure_future(client.wait_until_ready())
    try:
        await asyncio.wait({task, ready}, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
    finally:
        if not ready.done():
            ready.cancel()
    if ready.done() and not ready.cancelled():
        return
    if task.done():
        task.result()  # re-raises LoginFailure, PrivilegedIntentsRequired, ...
        raise AssertionError("the client stopped before it was ready")
    raise AssertionError(f"the client was not ready after {timeout:g}s.\n" + fake.describe_calls())

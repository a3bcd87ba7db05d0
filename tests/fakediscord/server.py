"""``FakeDiscord``: a Discord REST API, gateway and CDN on 127.0.0.1 for the real discord.py.

One aiohttp server answers three things on one ephemeral port:

* ``ws://127.0.0.1:PORT/``            the gateway (see ``gateway.py``)
* ``http://127.0.0.1:PORT/api/v10/``  the REST API (see ``rest.py``), every call recorded
* ``http://127.0.0.1:PORT/attachments/...`` and ``/media/attachments/...``  attachment bytes

Tests drive it from the same event loop as the client::

    msg = await fake.send_message(general, alice, "!ask who met Kim")
    reply = await fake.wait_for_call("POST", r"/channels/\\d+/messages")
    assert reply.json["message_reference"]["message_id"] == msg["id"]

Point discord.py at it with ``tests.fakediscord.fixtures`` (``fake_discord`` fixture,
``running_client``), which patch ``Route.BASE``, the default gateway URL and the CDN base.
"""

from __future__ import annotations

import contextlib
import logging
import socket
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from aiohttp import web

from . import interactions as ix
from .gateway import DIRECT_MESSAGES, GUILD_MESSAGES, PRIVILEGED_INTENTS, Gateway
from .messages import Cdn, MessageStore
from .model import (
    DEFAULT_BOT_PERMISSIONS,
    DM,
    VIEW_CHANNEL,
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
    HasValue,
    Pings,
    Snowflakes,
    Upload,
)
from .recording import DEFAULT_TIMEOUT, Call, Recorder
from .rest import RestApi

log = logging.getLogger(__name__)

# GATEWAY_PRESENCE_LIMITED | GATEWAY_GUILD_MEMBERS_LIMITED | GATEWAY_MESSAGE_CONTENT_LIMITED:
# what an unverified bot with all three toggles on in the developer portal reports.
DEFAULT_APPLICATION_FLAGS = (1 << 13) | (1 << 15) | (1 << 19)

AttachmentSpec = Upload | tuple[str, bytes] | tuple[str, bytes, str]
UserLike = FakeUser | FakeMember
ChannelLike = FakeChannel | int


class FakeDiscord(Recorder):
    """A fake Discord for one bot application.

    Args:
        token: The only token accepted (REST ``Authorization: Bot <token>`` and IDENTIFY).
        bot_name: The bot user's name; also the name of its managed role in each guild.
        allowed_privileged_intents: Privileged intents the "developer portal" enabled;
            IDENTIFY asking for others is closed with 4014 (discord.py raises
            ``PrivilegedIntentsRequired``).
    """

    def __init__(
        self,
        *,
        token: str = "fake-bot-token",
        bot_name: str = "Archivist",
        allowed_privileged_intents: int = PRIVILEGED_INTENTS,
        application_flags: int = DEFAULT_APPLICATION_FLAGS,
    ) -> None:
        super().__init__()
        self.ids = Snowflakes()
        self.token = token
        self.allowed_privileged_intents = allowed_privileged_intents
        self.application_flags = application_flags
        self.bot_user = FakeUser(self.ids.next(), bot_name, bot=True)
        self.application_id = self.bot_user.id  # as for every bot created since 2020
        self.users: dict[int, FakeUser] = {self.bot_user.id: self.bot_user}
        self.app_owner = self.add_user("app-owner")
        self.guilds: dict[int, FakeGuild] = {}
        self.dm_channels: dict[int, FakeChannel] = {}  # by recipient user id
        self.commands: dict[int | None, list[dict[str, Any]]] = {}  # None: global
        self.interactions: dict[int, ix.FakeInteraction] = {}
        self.reactions: dict[int, list[str]] = {}  # message id -> emoji the bot added
        #: Seconds Discord waits for an interaction's first response (None: forever).
        self.interaction_deadline: float | None = 3.0
        self.messages = MessageStore(self.ids, self._mention_payload)
        self.cdn = Cdn(self.ids)
        self.gateway = Gateway(self)
        self.rest = RestApi(self)
        self._returned_messages: set[str] = set()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self) -> FakeDiscord:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.bind(("127.0.0.1", 0))
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        self.cdn.base = self.base_url
        return self

    async def stop(self) -> None:
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_base(self) -> str:
        """What ``discord.http.Route.BASE`` must be set to."""
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/"

    # -- the world ----------------------------------------------------------------------

    def add_user(
        self,
        name: str,
        *,
        bot: bool = False,
        global_name: str | None = None,
    ) -> FakeUser:
        user = FakeUser(self.ids.next(), name, bot=bot, global_name=global_name)
        self.users[user.id] = user
        return user

    def user(self, name: str) -> FakeUser:
        for user in self.users.values():
            if user.name == name:
                return user
        raise KeyError(f"no user named {name!r}")

    def add_guild(
        self,
        name: str,
        *,
        owner: FakeUser | None = None,
        bot_permissions: int | HasValue = DEFAULT_BOT_PERMISSIONS,
        bot_member: bool = True,
        shard: tuple[int, int] | None = None,
    ) -> FakeGuild:
        """Create a guild with @everyone, an owner member and (by default) the bot as a member
        holding a managed role named after the bot with ``bot_permissions``. Guilds added
        after the client connected reach it only through ``join_guild``.

        ``shard=(shard_id, shard_count)`` picks an id that Discord routes to that shard.
        """
        owner = owner or self.add_user(f"{name.lower().replace(' ', '-')}-owner")
        if shard is not None:
            self.ids.skip_to_shard(*shard)
        guild = FakeGuild(self.ids, name=name, owner=owner)
        guild.add_member(owner)
        if bot_member:
            role = guild.add_role(
                self.bot_user.name,
                bot_permissions,
                managed=True,
                tags={"bot_id": str(self.bot_user.id)},
            )
            guild.add_member(self.bot_user, roles=[role])
        self.guilds[guild.id] = guild
        return guild

    @property
    def guild(self) -> FakeGuild:
        """The first guild (most tests need only one)."""
        if not self.guilds:
            raise LookupError("the fake has no guild; call add_guild() first")
        return next(iter(self.guilds.values()))

    def bot_guilds(self) -> list[FakeGuild]:
        return [g for g in self.guilds.values() if self.bot_user.id in g.members]

    def bot_member(self, guild: FakeGuild | None = None) -> FakeMember:
        return (guild or self.guild).members[self.bot_user.id]

    def dm_channel(self, user: UserLike) -> FakeChannel:
        """The DM channel between ``user`` and the bot (created on first use)."""
        person = user.user if isinstance(user, FakeMember) else user
        if person.id not in self.dm_channels:
            self.dm_channels[person.id] = FakeChannel(self.ids.next(), "", DM, recipients=[person])
        return self.dm_channels[person.id]

    def channel(self, channel: ChannelLike) -> FakeChannel:
        """Look a channel up by id (guild channels and DM channels)."""
        if isinstance(channel, FakeChannel):
            return channel
        for guild in self.guilds.values():
            if channel in guild.channels:
                return guild.channels[channel]
        for dm in self.dm_channels.values():
            if dm.id == channel:
                return dm
        raise KeyError(f"no channel with id {channel}")

    def find_channel(self, channel_id: int) -> FakeChannel | None:
        with contextlib.suppress(KeyError):
            return self.channel(channel_id)
        return None

    def registered_command_names(self) -> dict[str, list[str]]:
        return {
            ("global" if scope is None else f"guild {scope}"): [c["name"] for c in cmds]
            for scope, cmds in self.commands.items()
        }

    # -- injecting events ---------------------------------------------------------------

    async def send_message(
        self,
        channel: ChannelLike,
        author: UserLike,
        content: str = "",
        *,
        attachments: Iterable[AttachmentSpec] = (),
        mentions: Iterable[UserLike] = (),
        reply_to: Mapping[str, Any] | None = None,
        embeds: Iterable[Mapping[str, Any]] = (),
    ) -> dict[str, Any]:
        """A user posts a message; dispatches MESSAGE_CREATE and returns the message payload.

        Args:
            channel: A guild channel or DM channel (``dm_channel(user)``), or its id.
            author: A ``FakeMember`` (or a ``FakeUser`` who is a member of the guild).
            content: The text; ``<@id>``, ``<@&id>`` and ``@everyone`` in it are mentions.
            attachments: ``Upload``s or ``(filename, bytes[, content_type])`` tuples, served
                by the fake CDN so ``Attachment.read()`` works.
            mentions: Extra users to list as mentioned (content mentions are automatic).
            reply_to: A message payload this one replies to.
        """
        channel = self.channel(channel)
        user = author.user if isinstance(author, FakeMember) else author
        member: FakeMember | None = None
        if channel.type != DM:
            member = self.guilds[channel.guild_id or 0].member(user)
        payload: dict[str, Any] = {"content": content, "embeds": list(embeds)}
        if reply_to is not None:
            payload["message_reference"] = {
                "message_id": reply_to["id"],
                "channel_id": reply_to["channel_id"],
            }
        uploads = [self.cdn.store(channel.id, _upload(a)) for a in attachments]
        message = self.messages.build(
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=user,
            member=member.payload(with_user=False) if member else None,
            payload=payload,
            attachments=uploads,
            extra_mentions=[m.id for m in mentions],
        )
        await self.dispatch_message("MESSAGE_CREATE", message)
        return message

    async def send_dm(
        self, author: UserLike, content: str = "", *, attachments: Iterable[AttachmentSpec] = ()
    ) -> dict[str, Any]:
        """A user DMs the bot."""
        return await self.send_message(
            self.dm_channel(author), author, content, attachments=attachments
        )

    async def dispatch_message(self, event: str, message: dict[str, Any]) -> None:
        """Dispatch a message event, unless the bot cannot see the channel (as on Discord)."""
        intent = GUILD_MESSAGES if "guild_id" in message else DIRECT_MESSAGES
        channel = self.find_channel(int(message["channel_id"]))
        if channel is not None and channel.guild_id is not None:
            guild = self.guilds[channel.guild_id]
            bot = guild.members.get(self.bot_user.id)
            if bot is None or not bot.permissions(channel) & VIEW_CHANNEL:
                self.notify()
                return
        await self.gateway.dispatch(event, message, intent=intent)
        self.notify()

    async def dispatch(
        self,
        event: str,
        data: dict[str, Any],
        *,
        intent: int | None = None,
    ) -> None:
        """Send any gateway event (raw payload) to connected clients."""
        await self.gateway.dispatch(event, data, intent=intent)
        self.notify()

    async def join_guild(self, guild: FakeGuild) -> None:
        """The bot was added to ``guild`` while running: dispatch GUILD_CREATE (to its shard)."""
        for session in list(self.gateway.sessions.values()):
            if not session.serves(guild.id):
                continue
            await self.gateway._send_dispatch(
                session, "GUILD_CREATE", self.gateway.guild_create(guild, session)
            )
        self.notify()

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT; discord.py reconnects and RESUMEs the session."""
        await self.gateway.request_reconnect()

    async def send_command(
        self,
        user: UserLike,
        name: str,
        options: Mapping[str, Any] | None = None,
        *,
        channel: ChannelLike | None = None,
        strict: bool = True,
    ) -> ix.FakeInteraction:
        """A user runs a slash command; returns the interaction to wait on.

        Args:
            user: Who runs it (``FakeMember`` in a guild, ``FakeUser`` in DMs).
            name: Command name; subcommands separated by spaces ("archive add").
            options: ``{option_name: value}``. Types come from the synced command: strings,
                numbers, booleans, ``FakeMember``/``FakeUser``, ``FakeChannel``, ``FakeRole``,
                ``Upload`` (attachment options, served by the fake CDN).
            channel: Where; default: the first channel of the first guild (or the user's
                DM channel when ``user`` is a ``FakeUser`` and the fake has no guild).
            strict: Refuse, as the Discord client would, commands never synced, hidden by
                ``default_member_permissions``, or with unknown/missing options.
        """
        where = self._where(user, channel)
        data, command = ix.command_data(self, name, options or {}, where, strict=strict)
        return await self._start_interaction(
            ix.APPLICATION_COMMAND, user, where, data, command=command, strict=strict
        )

    async def send_autocomplete(
        self,
        user: UserLike,
        name: str,
        options: Mapping[str, Any],
        focused: str,
        *,
        channel: ChannelLike | None = None,
    ) -> ix.FakeInteraction:
        """A user types into option ``focused``; the bot's choices land in ``.choices``."""
        where = self._where(user, channel)
        data, command = ix.command_data(self, name, options, where, strict=True, focused=focused)
        return await self._start_interaction(
            ix.AUTOCOMPLETE, user, where, data, command=command, strict=True
        )

    async def send_message_command(
        self, user: UserLike, name: str, target: Mapping[str, Any], *, strict: bool = True
    ) -> ix.FakeInteraction:
        """A user picks "Apps > ``name``" on message ``target`` (a message payload)."""
        where = self.channel(int(target["channel_id"]))
        command = ix.find_command(self, name, ix.MESSAGE_COMMAND, where)
        if command is None and strict:
            raise LookupError(
                f"no message command {name!r} registered; "
                f"registered: {self.registered_command_names()}"
            )
        data: dict[str, Any] = {
            "id": str(command["id"]) if command else str(self.ids.next()),
            "name": name,
            "type": ix.MESSAGE_COMMAND,
            "target_id": target["id"],
            "resolved": {"messages": {target["id"]: target}},
        }
        if command and command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        return await self._start_interaction(
            ix.APPLICATION_COMMAND,
            user,
            where,
            data,
            command=command,
            strict=strict,
            command_type=ix.MESSAGE_COMMAND,
        )

    async def send_user_command(
        self,
        user: UserLike,
        name: str,
        target: UserLike,
        *,
        channel: ChannelLike | None = None,
        strict: bool = True,
    ) -> ix.FakeInteraction:
        """A user picks "Apps > ``name``" on another user."""
        where = self._where(user, channel)
        command = ix.find_command(self, name, ix.USER_COMMAND, where)
        if command is None and strict:
            raise LookupError(f"no user command {name!r} registered")
        resolved: dict[str, dict[str, Any]] = {}
        target_id = ix._wire_value(self, ix.USER, target, where, resolved)
        data: dict[str, Any] = {
            "id": str(command["id"]) if command else str(self.ids.next()),
            "name": name,
            "type": ix.USER_COMMAND,
            "target_id": target_id,
            "resolved": resolved,
        }
        if command and command.get("guild_id"):
            data["guild_id"] = command["guild_id"]
        return await self._start_interaction(
            ix.APPLICATION_COMMAND,
            user,
            where,
            data,
            command=command,
            strict=strict,
            command_type=ix.USER_COMMAND,
        )

    async def click(
        self,
        user: UserLike,
        message: Mapping[str, Any] | int,
        custom_id: str,
        *,
        values: list[str] | None = None,
        strict: bool = True,
        channel: ChannelLike | None = None,
    ) -> ix.FakeInteraction:
        """A user presses a button (or, with ``values``, picks from a select) on a message.

        ``channel`` forges where the click claims to come from (default: the message's
        channel, as on Discord), to test that a bot does not trust it.
        """
        stored = self.messages.get(int(message if isinstance(message, int) else message["id"]))
        if stored is None:
            raise LookupError(f"no live message {message!r}")
        data = ix.component_data(stored, custom_id, values, strict=strict)
        where = self.channel(channel if channel is not None else int(stored["channel_id"]))
        return await self._start_interaction(
            ix.MESSAGE_COMPONENT, user, where, data, message=stored
        )

    async def select(
        self,
        user: UserLike,
        message: Mapping[str, Any] | int,
        custom_id: str,
        values: list[str],
        *,
        strict: bool = True,
    ) -> ix.FakeInteraction:
        return await self.click(user, message, custom_id, values=values, strict=strict)

    async def submit_modal(
        self, opened_by: ix.FakeInteraction, values: Mapping[str, str], *, strict: bool = True
    ) -> ix.FakeInteraction:
        """The user fills in and submits the modal the bot opened for ``opened_by``."""
        modal = await self.wait_until(lambda: opened_by.modal, what="the bot to open a modal")
        data = ix.modal_data(modal, values, strict=strict)
        source = self.messages.get(opened_by.message_id) if opened_by.message_id else None
        who = opened_by.member or opened_by.user
        return await self._start_interaction(
            ix.MODAL_SUBMIT, who, opened_by.channel, data, message=source
        )

    async def send_interaction(self, payload: dict[str, Any]) -> None:
        """Dispatch a hand-made INTERACTION_CREATE payload as is (no bookkeeping)."""
        await self.gateway.dispatch("INTERACTION_CREATE", payload)
        self.notify()

    def _where(self, user: UserLike, channel: ChannelLike | None) -> FakeChannel:
        if channel is not None:
            return self.channel(channel)
        if isinstance(user, FakeMember):
            return next(c for c in user.guild.channels.values() if c.type == 0)
        if self.guilds:
            return next(c for c in self.guild.channels.values() if c.type == 0)
        return self.dm_channel(user)

    async def _start_interaction(
        self,
        type: int,
        user: UserLike,
        channel: FakeChannel,
        data: dict[str, Any],
        *,
        command: Mapping[str, Any] | None = None,
        strict: bool = True,
        message: dict[str, Any] | None = None,
        command_type: int = ix.CHAT_INPUT,
    ) -> ix.FakeInteraction:
        payload, member = ix.base_payload(self, type, user, channel, data)
        if command is not None and strict:
            ix.check_member_may_use(command, member, channel)
        if message is not None:
            payload["message"] = message
        person = member.user if member else (user.user if isinstance(user, FakeMember) else user)
        interaction = ix.FakeInteraction(
            id=int(payload["id"]),
            token=payload["token"],
            type=type,
            user=person,
            member=member,
            channel=channel,
            payload=payload,
            command_type=command_type,
            message_id=int(message["id"]) if message else None,
        )
        self.interactions[interaction.id] = interaction
        await self.gateway.dispatch("INTERACTION_CREATE", payload)
        self.notify()
        return interaction

    # -- observing ----------------------------------------------------------------------

    def messages_in(self, channel: ChannelLike) -> list[dict[str, Any]]:
        """Live (not deleted) messages in a channel, oldest first, including ephemeral ones
        (``flags & 64``) and deferred "thinking" ones (``flags & 128``)."""
        return self.messages.in_channel(self.channel(channel).id)

    def message(self, message_id: int | str) -> dict[str, Any] | None:
        return self.messages.get(int(message_id))

    def bot_messages(self, channel: ChannelLike | None = None) -> list[dict[str, Any]]:
        """Live messages authored by the bot (REST sends and interaction responses)."""
        bot_id = str(self.bot_user.id)
        wanted = None if channel is None else str(self.channel(channel).id)
        return [
            m
            for mid, m in self.messages.by_id.items()
            if m["author"]["id"] == bot_id
            and mid not in self.messages.deleted
            and (wanted is None or m["channel_id"] == wanted)
        ]

    async def wait_for_message(
        self,
        channel: ChannelLike | None = None,
        *,
        predicate: Callable[[dict[str, Any]], bool] | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> dict[str, Any]:
        """The oldest bot message (optionally in ``channel`` / matching ``predicate``) that no
        earlier ``wait_for_message`` returned. Deferred "thinking" placeholders are skipped
        until filled in. The dict is live: later edits show up in it."""

        def find() -> dict[str, Any] | None:
            for m in self.bot_messages(channel):
                if m["id"] in self._returned_messages or ix.is_loading(m):
                    continue
                if predicate is None or predicate(m):
                    return m
            return None

        message = await self.wait_until(find, timeout=timeout, what="a message from the bot")
        self._returned_messages.add(message["id"])
        return message

    def pings(self, message: Mapping[str, Any] | int) -> Pings:
        """Who ``message`` notified (users, roles, @everyone/@here), per its allowed_mentions.
        Worst case: ignores role mentionability and the Mention Everyone permission."""
        message_id = int(message if isinstance(message, int) else message["id"])
        return self.messages.pings.get(message_id, Pings())

    async def wait_for_response(
        self, interaction: ix.FakeInteraction, *, timeout: float = DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """The bot's first callback for ``interaction`` (``{"type": ..., "data": ...}``)."""
        await self.wait_until(
            lambda: interaction.responded,
            timeout=timeout,
            what=f"a response to interaction {interaction.id}",
        )
        return interaction.responses[0]

    def replies(self, interaction: ix.FakeInteraction) -> list[dict[str, Any]]:
        """Messages the user sees for ``interaction`` so far: the response message (once not
        "thinking"; for a component, its message once updated or edited) and followups, oldest
        first; ephemeral ones included."""
        shown = interaction.original_id and interaction.original_shown
        ids = [interaction.original_id] if shown else []
        found = [self.messages.get(i) for i in ids + interaction.followup_ids]
        return [m for m in found if m is not None and not ix.is_loading(m)]

    async def wait_for_reply(
        self, interaction: ix.FakeInteraction, *, timeout: float = DEFAULT_TIMEOUT
    ) -> dict[str, Any]:
        """The first message the user sees for ``interaction`` (waits through a defer)."""
        replies = await self.wait_until(
            lambda: self.replies(interaction),
            timeout=timeout,
            what=f"a visible reply to interaction {interaction.id}",
        )
        return replies[0]

    def _mention_payload(self, user_id: int, guild_id: int | None) -> dict[str, Any] | None:
        user = self.users.get(user_id)
        if user is None:
            return None
        data = user.payload()
        guild = self.guilds.get(guild_id or 0)
        if guild is not None and user_id in guild.members:
            data["member"] = guild.members[user_id].payload(with_user=False)
        return data

    # -- HTTP ---------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        path = request.path
        if path == "/" and request.headers.get("Upgrade", "").lower() == "websocket":
            return await self.gateway.handle(request)
        if path.startswith("/api/"):
            return await self.rest.handle(request)
        if path.startswith(("/attachments/", "/media/attachments/")):
            return self._serve_cdn(request)
        self.record(Call(request.method, path, dict(request.query), status=404, known=False))
        return web.Response(
            status=404,
            body=b'{"message": "404: Not Found", "code": 0}',
            headers={"Content-Type": "application/json"},
        )

    def _serve_cdn(self, request: web.Request) -> web.Response:
        stored = self.cdn.get(request.path)
        call = Call("GET", request.path, dict(request.query), status=200 if stored else 404)
        self.record(call)
        if stored is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=stored.data, content_type=stored.content_type)


def _upload(spec: AttachmentSpec) -> Upload:
    if isinstance(spec, Upload):
        return spec
    return Upload(*spec)


__all__ = ["FakeDiscord", "FakeGuild", "FakeMember", "FakeRole", "FakeUser", "FakeChannel"]

"""The fake gateway: one websocket endpoint speaking Discord's gateway protocol (v10, JSON).

Supported: HELLO, IDENTIFY (token and privileged-intent checks, READY, one GUILD_CREATE per
guild), sharding as Discord does it (IDENTIFY's ``shard: [id, count]``; each shard's session
gets its own READY, the GUILD_CREATEs of the guilds with ``(guild_id >> 22) % count == id``,
and only those guilds' events; direct messages go to shard 0), RESUME (replays missed dispatches, then RESUMED), HEARTBEAT/ACK, REQUEST_GUILD_MEMBERS
(answered with a single GUILD_MEMBERS_CHUNK), PRESENCE_UPDATE (recorded), RECONNECT on demand.
Transport compression: ``compress=zlib-stream`` is honoured (one zlib context per connection,
each frame ending in Z_SYNC_FLUSH); any other value (discord.py asks for ``zstd-stream`` when
a zstd module is installed) gets plain text frames, which discord.py also accepts.
Intents filter dispatches the way Discord does, including blanking message content without
the Message Content intent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_MS = 41250

# Gateway intents.
GUILDS = 1 << 0
GUILD_MEMBERS = 1 << 1
GUILD_PRESENCES = 1 << 8
GUILD_MESSAGES = 1 << 9
GUILD_MESSAGE_REACTIONS = 1 << 10
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15
PRIVILEGED_INTENTS = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT

# Opcodes.
DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE_UPDATE = 0, 1, 2, 3
RESUME, RECONNECT, REQUEST_GUILD_MEMBERS, INVALID_SESSION = 6, 7, 8, 9
HELLO, HEARTBEAT_ACK = 10, 11

MESSAGE_EVENTS = ("MESSAGE_CREATE", "MESSAGE_UPDATE")


class Connection:
    """One websocket; frames are serialised (and zlib-compressed) under a lock, in order."""

    def __init__(self, ws: web.WebSocketResponse, compress: str | None) -> None:
        self.ws = ws
        self.compress = compress
        self.session: Session | None = None
        self._zlib = zlib.compressobj() if compress == "zlib-stream" else None
        self._lock = asyncio.Lock()

    async def send(self, text: str) -> None:
        async with self._lock:
            if self.ws.closed:
                return
            if self._zlib is not None:
                data = self._zlib.compress(text.encode()) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
                await self.ws.send_bytes(data)
            else:
                await self.ws.send_str(text)

    async def close(self, code: int, message: str = "") -> None:
        await self.ws.close(code=code, message=message.encode())


@dataclass(eq=False)
class Session:
    """A gateway session: survives reconnects so RESUME can replay what was missed."""

    id: str
    intents: int
    identify: dict[str, Any]
    seq: int = 0
    sent: list[tuple[int, str]] = field(default_factory=list)
    connection: Connection | None = None
    #: (shard id, shard count) from IDENTIFY; unsharded is shard 0 of 1.
    shard: tuple[int, int] = (0, 1)

    def wants(self, intent: int | None) -> bool:
        return intent is None or bool(self.intents & intent)

    def serves(self, guild_id: int | None) -> bool:
        """Whether Discord sends this guild's events to this session (None: a DM, shard 0)."""
        shard_id, count = self.shard
        if guild_id is None:
            return shard_id == 0
        return (guild_id >> 22) % count == shard_id


class Gateway:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()
        self.received: list[dict[str, Any]] = []  # every frame a client sent us
        self.handshakes: list[dict[str, str]] = []  # query of each connect (v, encoding, ...)

    # -- websocket endpoint -------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = Connection(ws, request.query.get("compress"))
        self.handshakes.append(dict(request.query))
        self.connections.add(conn)
        try:
            await conn.send(_frame(HELLO, {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}))
            async for msg in ws:
                if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                    await self._on_frame(conn, json.loads(msg.data))
        finally:
            self.connections.discard(conn)
            session = conn.session
            if session is not None and session.connection is conn:
                session.connection = None
                # A client closing with 1000/1001 ends its session (Discord: not resumable);
                # other codes (discord.py uses 4000 to reconnect) keep it for RESUME.
                if ws.close_code in (1000, 1001):
                    self.sessions.pop(session.id, None)
            self.fake.notify()
        return ws

    async def _on_frame(self, conn: Connection, frame: dict[str, Any]) -> None:
        self.received.append(frame)
        self.fake.notify()
        op, data = frame.get("op"), frame.get("d")
        if op == HEARTBEAT:
            await conn.send(_frame(HEARTBEAT_ACK, None))
        elif op == IDENTIFY:
            await self._identify(conn, data or {})
        elif op == RESUME:
            await self._resume(conn, data or {})
        elif op == REQUEST_GUILD_MEMBERS:
            await self._request_members(conn, data or {})
        elif op == PRESENCE_UPDATE:
            pass  # recorded above; nothing to answer
        else:
            log.debug("fake gateway ignoring op %s", op)

    async def _identify(self, conn: Connection, data: dict[str, Any]) -> None:
        fake = self.fake
        if data.get("token") != fake.token:
            await conn.close(4004, "Authentication failed.")
            return
        intents = int(data.get("intents", 0))
        if intents & PRIVILEGED_INTENTS & ~fake.allowed_privileged_intents:
            await conn.close(4014, "Disallowed intent(s).")
            return
        shard = data.get("shard") or [0, 1]
        if not isinstance(shard, list) or len(shard) != 2 or not 0 <= int(shard[0]) < int(shard[1]):
            await conn.close(4010, "Invalid shard.")
            return
        session = Session(
            secrets.token_hex(16),
            intents,
            data,
            connection=conn,
            shard=(int(shard[0]), int(shard[1])),
        )
        conn.session = session
        self.sessions[session.id] = session
        guilds = [g for g in fake.bot_guilds() if session.serves(g.id)]
        ready = {
            "v": 10,
            "user": {**fake.bot_user.payload(), "verified": True, "mfa_enabled": False},
            "guilds": [{"id": str(g.id), "unavailable": True} for g in guilds],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": fake.gateway_url,
            "application": {"id": str(fake.application_id), "flags": fake.application_flags},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "geo_ordered_rtc_regions": [],
            "_trace": ["fake-discord"],
        }
        if "shard" in data:
            ready["shard"] = data["shard"]
        await self._send_dispatch(session, "READY", ready)
        for guild in guilds:
            await self._send_dispatch(session, "GUILD_CREATE", self.guild_create(guild, session))

    def guild_create(self, guild: Any, session: Session) -> dict[str, Any]:
        # Like Discord: members beyond the bot arrive only with presences, else via chunking.
        bot = guild.members[self.fake.bot_user.id]
        members = guild.members.values() if session.intents & GUILD_PRESENCES else [bot]
        return guild.create_payload(members=members)

    async def _resume(self, conn: Connection, data: dict[str, Any]) -> None:
        session = self.sessions.get(data.get("session_id", ""))
        if session is None or data.get("token") != self.fake.token:
            await conn.send(_frame(INVALID_SESSION, False))
            return
        conn.session = session
        session.connection = conn
        after = int(data.get("seq") or 0)
        for seq, text in session.sent:
            if seq > after:
                await conn.send(text)
        await self._send_dispatch(session, "RESUMED", {"_trace": ["fake-discord"]})

    async def _request_members(self, conn: Connection, data: dict[str, Any]) -> None:
        if conn.session is None:
            return
        guild = self.fake.guilds.get(int(data["guild_id"]))
        if guild is None:
            return
        members = list(guild.members.values())
        not_found: list[str] = []
        if data.get("user_ids"):
            wanted = [int(u) for u in data["user_ids"]]
            not_found = [str(u) for u in wanted if u not in guild.members]
            members = [m for m in members if m.id in wanted]
        elif data.get("query"):
            query = data["query"].lower()
            members = [m for m in members if m.name.lower().startswith(query)]
        if data.get("limit"):
            members = members[: int(data["limit"])]
        chunk = {
            "guild_id": str(guild.id),
            "members": [m.payload() for m in members],
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": not_found,
        }
        if data.get("nonce") is not None:
            chunk["nonce"] = data["nonce"]
        await self._send_dispatch(conn.session, "GUILD_MEMBERS_CHUNK", chunk)

    # -- sending ------------------------------------------------------------------------

    async def dispatch(
        self,
        event: str,
        data: dict[str, Any],
        *,
        intent: int | None = None,
    ) -> None:
        """Send a dispatch to every identified session whose intents ask for it and whose
        shard serves the event's guild (a guild-less event, such as a DM: shard 0)."""
        guild_id = data.get("guild_id") if isinstance(data, dict) else None
        for session in list(self.sessions.values()):
            if not session.wants(intent):
                continue
            if not session.serves(int(guild_id) if guild_id is not None else None):
                continue
            payload = data
            if event in MESSAGE_EVENTS:
                payload = self._visible_message(session, data)
            await self._send_dispatch(session, event, payload)

    def _visible_message(self, session: Session, message: dict[str, Any]) -> dict[str, Any]:
        """Without the Message Content intent Discord blanks guild messages that neither come
        from the bot nor mention it."""
        if session.intents & MESSAGE_CONTENT or "guild_id" not in message:
            return message
        bot_id = str(self.fake.bot_user.id)
        mentioned = any(u.get("id") == bot_id for u in message.get("mentions", []))
        if message.get("author", {}).get("id") == bot_id or mentioned:
            return message
        return {**message, "content": "", "embeds": [], "attachments": [], "components": []}

    async def _send_dispatch(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        text = json.dumps({"op": DISPATCH, "t": event, "s": session.seq, "d": data})
        session.sent.append((session.seq, text))
        if session.connection is not None:
            await session.connection.send(text)

    async def request_reconnect(self) -> None:
        """Ask every connected client to reconnect and RESUME (op 7)."""
        for conn in list(self.connections):
            await conn.send(_frame(RECONNECT, None))

    async def close_all(self, code: int = 1001) -> None:
        for conn in list(self.connections):
            with contextlib.suppress(Exception):
                await conn.close(code, "fake Discord stopping")

    @property
    def connected(self) -> bool:
        return any(c.session is not None for c in self.connections)

    def shards_connected(self) -> set[tuple[int, int]]:
        """(shard id, count) of every session with a live connection."""
        return {c.session.shard for c in self.connections if c.session is not None}

    def dispatched_to(self, event: str) -> list[tuple[tuple[int, int], dict[str, Any]]]:
        """(shard, payload) of every ``event`` sent so far, in order."""
        found = []
        for session in self.sessions.values():
            for _seq, text in session.sent:
                frame = json.loads(text)
                if frame["t"] == event:
                    found.append((session.shard, frame["d"]))
        return found


def _frame(op: int, data: Any) -> str:
    return json.dumps({"op": op, "d": data, "s": None, "t": None})

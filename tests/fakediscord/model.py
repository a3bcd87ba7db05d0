"""The fake Discord's world: users, guilds, roles, channels, members, and their wire payloads.

Everything here is plain data plus the small amount of Discord logic a bot can observe:
snowflake ids, permission resolution (base role permissions, administrator, owner,
channel overwrites) and the JSON shapes discord.py parses. Payload builders follow the
Discord API v10 documentation and the fields discord.py 2.x reads in ``state.py``,
``guild.py``, ``member.py``, ``role.py`` and ``channel.py``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

DISCORD_EPOCH_MS = 1420070400000

# Permission bits (https://discord.com/developers/docs/topics/permissions).
CREATE_INSTANT_INVITE = 1 << 0
ADMINISTRATOR = 1 << 3
ADD_REACTIONS = 1 << 6
VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
MANAGE_MESSAGES = 1 << 13
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
MENTION_EVERYONE = 1 << 17
USE_EXTERNAL_EMOJIS = 1 << 18
CONNECT = 1 << 20
SPEAK = 1 << 21
CHANGE_NICKNAME = 1 << 26
MANAGE_GUILD = 1 << 5
USE_APPLICATION_COMMANDS = 1 << 31
SEND_MESSAGES_IN_THREADS = 1 << 38
ALL_PERMISSIONS = (1 << 53) - 1

# What a freshly created Discord server grants @everyone (close enough for bots' checks).
DEFAULT_EVERYONE_PERMISSIONS = (
    CREATE_INSTANT_INVITE
    | ADD_REACTIONS
    | VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | USE_EXTERNAL_EMOJIS
    | CONNECT
    | SPEAK
    | CHANGE_NICKNAME
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)
# What an invite link with the usual "send messages" scopes grants the bot's managed role.
DEFAULT_BOT_PERMISSIONS = (
    VIEW_CHANNEL
    | SEND_MESSAGES
    | EMBED_LINKS
    | ATTACH_FILES
    | READ_MESSAGE_HISTORY
    | ADD_REACTIONS
    | USE_APPLICATION_COMMANDS
    | SEND_MESSAGES_IN_THREADS
)

# Channel types.
TEXT = 0
DM = 1
VOICE = 2
CATEGORY = 4
NEWS = 5


class HasValue(Protocol):
    value: int


def perm_value(permissions: int | HasValue) -> int:
    """Accept a raw bit field or anything with ``.value`` (e.g. ``discord.Permissions``)."""
    return permissions if isinstance(permissions, int) else int(permissions.value)


def iso(dt: datetime | None = None) -> str:
    return (dt or datetime.now(UTC)).isoformat()


class Snowflakes:
    """Strictly increasing snowflake ids whose timestamps are "now" (so created_at is sane)."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> int:
        candidate = (int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22
        self._last = max(candidate, self._last + 1)
        return self._last

    def skip_to_shard(self, shard_id: int, shard_count: int) -> None:
        """Make the next id one Discord routes to ``shard_id``: ``(id >> 22) % shard_count``."""
        # A second ahead, so the clock cannot overtake it before the id is drawn.
        ahead = (int(time.time() * 1000) + 1000 - DISCORD_EPOCH_MS) << 22
        upcoming = max(ahead, self._last + 1)
        while (upcoming >> 22) % shard_count != shard_id:
            upcoming = ((upcoming >> 22) + 1) << 22
        self._last = upcoming - 1


@dataclass(eq=False)
class FakeUser:
    id: int
    name: str
    bot: bool = False
    global_name: str | None = None

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "username": self.name,
            "discriminator": "0",
            "global_name": self.global_name,
            "avatar": None,
            "bot": self.bot,
            "system": False,
            "public_flags": 0,
            "flags": 0,
        }


@dataclass(eq=False)
class FakeRole:
    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    mentionable: bool = False
    managed: bool = False
    tags: dict[str, Any] | None = None

    @property
    def mention(self) -> str:
        return "@everyone" if self.id == self.guild_id else f"<@&{self.id}>"

    def payload(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": 0,
            "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
            "hoist": False,
            "icon": None,
            "unicode_emoji": None,
            "managed": self.managed,
            "mentionable": self.mentionable,
            "flags": 0,
        }
        if self.tags is not None:
            data["tags"] = self.tags
        return data


@dataclass(eq=False)
class Overwrite:
    """A channel permission overwrite for a role (type 0) or a member (type 1)."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0

    @classmethod
    def for_(
        cls,
        target: FakeRole | FakeMember | FakeUser,
        *,
        allow: int | HasValue = 0,
        deny: int | HasValue = 0,
    ) -> Overwrite:
        kind = 0 if isinstance(target, FakeRole) else 1
        return cls(target.id, kind, perm_value(allow), perm_value(deny))

    def payload(self) -> dict[str, Any]:
        return {
            "id": str(self.id),
            "type": self.type,
            "allow": str(self.allow),
            "deny": str(self.deny),
        }


@dataclass(eq=False)
class FakeChannel:
    id: int
    name: str
    type: int = TEXT
    guild_id: int | None = None
    position: int = 0
    topic: str | None = None
    parent_id: int | None = None
    overwrites: list[Overwrite] = field(default_factory=list)
    recipients: list[FakeUser] = field(default_factory=list)  # DM channels only

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    def payload(self, *, with_guild_id: bool = True) -> dict[str, Any]:
        if self.type == DM:
            return {
                "id": str(self.id),
                "type": DM,
                "last_message_id": None,
                "flags": 0,
                "recipients": [u.payload() for u in self.recipients],
            }
        data: dict[str, Any] = {
            "id": str(self.id),
            "type": self.type,
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [o.payload() for o in self.overwrites],
            "parent_id": str(self.parent_id) if self.parent_id else None,
            "nsfw": False,
            "flags": 0,
        }
        if self.type in (TEXT, NEWS):
            data.update(topic=self.topic, last_message_id=None, rate_limit_per_user=0)
        if self.type == VOICE:
            data.update(bitrate=64000, user_limit=0, rtc_region=None)
        if with_guild_id and self.guild_id is not None:
            data["guild_id"] = str(self.guild_id)
        return data


@dataclass(eq=False)
class FakeMember:
    user: FakeUser
    guild: FakeGuild
    roles: list[FakeRole] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=iso)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def mention(self) -> str:
        return self.user.mention

    def permissions(self, channel: FakeChannel | None = None) -> int:
        """Effective permissions, in ``channel`` if given (Discord's documented algorithm)."""
        return self.guild.permissions_for(self, channel)

    def payload(
        self,
        *,
        with_user: bool = True,
        channel: FakeChannel | None = None,
        with_permissions: bool = False,
    ) -> dict[str, Any]:
        data: dict[str, Any] = {
            "roles": [str(r.id) for r in self.roles],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
            "communication_disabled_until": None,
        }
        if with_user:
            data["user"] = self.user.payload()
        if with_permissions:
            data["permissions"] = str(self.permissions(channel))
        return data


class FakeGuild:
    """A guild with roles, channels and members. Build it through ``FakeDiscord.add_guild``."""

    def __init__(self, ids: Snowflakes, *, name: str, owner: FakeUser) -> None:
        self._ids = ids
        self.id = ids.next()
        self.name = name
        self.owner_id = owner.id
        self.roles: dict[int, FakeRole] = {}
        self.channels: dict[int, FakeChannel] = {}
        self.members: dict[int, FakeMember] = {}
        self.roles[self.id] = FakeRole(self.id, self.id, "@everyone", DEFAULT_EVERYONE_PERMISSIONS)

    def __repr__(self) -> str:
        return f"<FakeGuild id={self.id} name={self.name!r}>"

    @property
    def everyone(self) -> FakeRole:
        return self.roles[self.id]

    def add_role(
        self,
        name: str,
        permissions: int | HasValue = 0,
        *,
        mentionable: bool = False,
        managed: bool = False,
        tags: dict[str, Any] | None = None,
    ) -> FakeRole:
        role = FakeRole(
            self._ids.next(),
            self.id,
            name,
            perm_value(permissions),
            position=len(self.roles),
            mentionable=mentionable,
            managed=managed,
            tags=tags,
        )
        self.roles[role.id] = role
        return role

    def add_channel(
        self,
        name: str,
        *,
        type: int = TEXT,
        topic: str | None = None,
        overwrites: Iterable[Overwrite] = (),
        parent: FakeChannel | None = None,
    ) -> FakeChannel:
        channel = FakeChannel(
            self._ids.next(),
            name,
            type,
            self.id,
            position=len(self.channels),
            topic=topic,
            parent_id=parent.id if parent else None,
            overwrites=list(overwrites),
        )
        self.channels[channel.id] = channel
        return channel

    def add_member(
        self, user: FakeUser, *, roles: Iterable[FakeRole | str] = (), nick: str | None = None
    ) -> FakeMember:
        member = FakeMember(user, self, [self._resolve_role(r) for r in roles], nick)
        self.members[user.id] = member
        return member

    def _resolve_role(self, role: FakeRole | str) -> FakeRole:
        return role if isinstance(role, FakeRole) else self.role(role)

    def role(self, name: str) -> FakeRole:
        return _by_name(self.roles.values(), name, "role", self)

    def channel(self, name: str) -> FakeChannel:
        return _by_name(self.channels.values(), name, "channel", self)

    def member(self, who: str | int | FakeUser) -> FakeMember:
        if isinstance(who, FakeUser):
            who = who.id
        if isinstance(who, int):
            if who in self.members:
                return self.members[who]
            raise KeyError(f"user {who} is not a member of {self!r}")
        return _by_name(self.members.values(), who, "member", self)

    def permissions_for(self, member: FakeMember, channel: FakeChannel | None = None) -> int:
        if member.id == self.owner_id:
            return ALL_PERMISSIONS
        base = self.everyone.permissions
        for role in member.roles:
            base |= role.permissions
        if base & ADMINISTRATOR:
            return ALL_PERMISSIONS
        if channel is None:
            return base
        perms = base
        by_id = {o.id: o for o in channel.overwrites}
        if (everyone := by_id.get(self.id)) is not None:
            perms = (perms & ~everyone.deny) | everyone.allow
        allow = deny = 0
        for role in member.roles:
            if (o := by_id.get(role.id)) is not None and o.type == 0:
                allow |= o.allow
                deny |= o.deny
        perms = (perms & ~deny) | allow
        if (own := by_id.get(member.id)) is not None and own.type == 1:
            perms = (perms & ~own.deny) | own.allow
        # Without View Channel nothing else in the channel applies.
        return perms if perms & VIEW_CHANNEL else 0

    def create_payload(self, *, members: Iterable[FakeMember]) -> dict[str, Any]:
        """The GUILD_CREATE payload (full guild, channels without guild_id, chosen members)."""
        data = self.rest_payload()
        members = list(members)
        data.update(
            joined_at=iso(),
            large=False,
            unavailable=False,
            member_count=len(self.members),
            channels=[c.payload(with_guild_id=False) for c in self.channels.values()],
            members=[m.payload() for m in members],
            threads=[],
            voice_states=[],
            presences=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
        )
        return data

    def rest_payload(self) -> dict[str, Any]:
        """The GET /guilds/{id} payload."""
        return {
            "id": str(self.id),
            "name": self.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "owner_id": str(self.owner_id),
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": [r.payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "vanity_url_code": None,
            "description": None,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": None,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": False,
        }


def _by_name(items: Iterable[Any], name: str, kind: str, guild: FakeGuild) -> Any:
    for item in items:
        if item.name == name:
            return item
    raise KeyError(f"no {kind} named {name!r} in {guild!r}")


@dataclass(frozen=True)
class Upload:
    """A file a fake user attaches to a message or passes as an attachment option."""

    filename: str
    data: bytes
    content_type: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class Pings:
    """Who Discord would notify for a message: worst case, ignoring role mentionability and
    the bot's Mention Everyone permission, so that a safety test cannot pass by accident."""

    users: frozenset[int] = frozenset()
    roles: frozenset[int] = frozenset()
    everyone: bool = False

    def __bool__(self) -> bool:
        return bool(self.users or self.roles or self.everyone)

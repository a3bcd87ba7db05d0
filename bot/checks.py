"""Who may do what, where, and how often: checked in our code, not only by Discord.

``default_permissions`` on a slash command only hides it in the client; server admins can
change it and prefix commands ignore it. So every command calls these functions, which
raise :class:`~bot.errors.Refused` with the reason a user reads.
"""

from __future__ import annotations

import re
import time
from pathlib import PurePath
from typing import TYPE_CHECKING

import discord

from bot.errors import Refused, try_again
from bot.markdown import escape_plain
from knowledge.filetypes import EXTENSIONS, SUPPORTED_CHOICE
from knowledge.limits import format_size
from knowledge.types import GLOBAL_COLLECTION

if TYPE_CHECKING:
    from runtime.settings import BotSettings


def guild_collection(guild_id: int) -> str:
    return f"guild:{guild_id}"


def search_scope(guild_id: int | None, settings: BotSettings) -> tuple[str, ...]:
    """Collections a question in this place searches: the server's own plus the global one.

    Takes the id, not the guild: an interaction from a server the bot has not cached
    still carries its id.
    """
    if guild_id is not None:
        return (guild_collection(guild_id), GLOBAL_COLLECTION)
    if not settings.allow_dms:
        raise Refused("I don't answer in direct messages here; ask me in a server channel.")
    return (GLOBAL_COLLECTION,)


def home_collection(guild_id: int | None) -> str:
    """Where ingests and removals in this place go: only a server's own collection."""
    if guild_id is None:
        raise Refused(
            "Articles are added and removed in a server channel; direct messages only read "
            "the shared collection."
        )
    return guild_collection(guild_id)


def feedback_collection(guild_id: int | None) -> str:
    """Where a question or vote from this place is recorded: the server's own collection,
    or the shared one for direct messages."""
    return guild_collection(guild_id) if guild_id is not None else GLOBAL_COLLECTION


_ARTICLE_ID = re.compile(r"\s*#?\s*(\d{1,16})(?!\d)")


def article_id(value: str) -> int:
    """The number at the start of ``12``, ``#12`` or a picked ``#12 Title (date)``."""
    match = _ARTICLE_ID.match(value or "")
    number = int(match.group(1)) if match else 0
    if not 1 <= number <= 2**53:
        raise Refused("Pick an article from the list as you type its title, or give its number.")
    return number


def ingest_channel(channel: object, settings: BotSettings) -> bool:
    """True in a channel (or a thread of one) named by ``ARCHIVIST_INGEST_CHANNELS``."""
    if not settings.ingest_channels or isinstance(channel, discord.abc.PrivateChannel):
        return False
    ids = {getattr(channel, "id", None), getattr(channel, "parent_id", None)}
    return bool(ids & settings.ingest_channels)


def channel_allowed(channel: object, settings: BotSettings) -> bool:
    """True when the allow-list is empty or names this channel (or a thread's parent)."""
    if not settings.allowed_channels or isinstance(channel, discord.abc.PrivateChannel):
        return True
    ids = {getattr(channel, "id", None), getattr(channel, "parent_id", None)}
    return bool(ids & settings.allowed_channels)


def require_channel(channel: object, settings: BotSettings) -> None:
    if not channel_allowed(channel, settings):
        where = ", ".join(f"<#{cid}>" for cid in sorted(settings.allowed_channels)[:10])
        raise Refused(f"I answer only in {where}.")


def _has_editor_role(user: discord.abc.User, editor_role: str | None) -> bool:
    if not editor_role or not isinstance(user, discord.Member):
        return False
    wanted = editor_role.strip()
    for role in user.roles:
        if str(role.id) == wanted or role.name.casefold() == wanted.casefold():
            return True
    return False


def is_editor(
    user: discord.abc.User, permissions: discord.Permissions, settings: BotSettings
) -> bool:
    """Members with the editor role, or with Manage Messages in this channel."""
    return permissions.manage_messages or _has_editor_role(user, settings.editor_role)


def editor_role_name(guild: discord.Guild | None, settings: BotSettings) -> str | None:
    role = settings.editor_role
    if not role:
        return None
    if role.isdigit() and guild is not None:
        found = guild.get_role(int(role))
        if found is not None:
            return found.name
    return role


def require_editor(
    user: discord.abc.User,
    permissions: discord.Permissions,
    guild: discord.Guild | None,
    settings: BotSettings,
    action: str,
) -> None:
    """Raise Refused naming what is needed, e.g. to ``ingest`` or ``remove articles``."""
    if is_editor(user, permissions, settings):
        return
    role = editor_role_name(guild, settings)
    if role:
        raise Refused(
            f"You need the {escape_plain(role)} role or the Manage Messages permission to {action}."
        )
    raise Refused(f"You need the Manage Messages permission to {action}.")


def require_interaction_editor(
    interaction: discord.Interaction, settings: BotSettings, action: str
) -> None:
    """:func:`require_editor` for the user of a slash command, button or menu."""
    require_editor(interaction.user, interaction.permissions, interaction.guild, settings, action)


def check_attachment(name: str, size: int, max_bytes: int) -> None:
    """Refuse a file by its name and declared size, before downloading it."""
    suffix = PurePath(name).suffix.lower()
    shown = escape_plain(name[:100])
    if suffix not in EXTENSIONS:  # the service decides for sure
        raise Refused(f"“{shown}” is not a file I read; send {SUPPORTED_CHOICE}.")
    if size > max_bytes:
        raise Refused(f"“{shown}” is {format_size(size)}; the limit is {format_size(max_bytes)}.")


class Cooldown:
    """Per-user minimum spacing between commands, in bounded memory.

    Entries older than the cooldown are forgotten; past ``max_users`` live entries the
    oldest go first (that user merely gets an early pass).
    """

    def __init__(self, seconds: float, *, max_users: int = 10_000) -> None:
        self.seconds = seconds
        self.max_users = max_users
        self._last: dict[int, float] = {}

    def hit(self, user_id: int, *, now: float | None = None) -> None:
        """Record a use, or raise Refused saying when to try again."""
        if self.seconds <= 0:
            return
        now = time.monotonic() if now is None else now
        last = self._last.get(user_id)
        if last is not None and now - last < self.seconds:
            raise Refused(try_again(self.seconds - (now - last)))
        self._last.pop(user_id, None)
        self._last[user_id] = now  # re-inserted: the dict stays in time order
        self._forget(now)

    def reset(self, user_id: int) -> None:
        """Give the use back (the command was refused for another reason)."""
        self._last.pop(user_id, None)

    def _forget(self, now: float) -> None:
        for user_id, last in list(self._last.items()):
            if now - last < self.seconds and len(self._last) <= self.max_users:
                break
            del self._last[user_id]

    def __len__(self) -> int:
        return len(self._last)

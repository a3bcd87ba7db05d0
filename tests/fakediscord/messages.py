"""Messages as the fake Discord stores them: validation, mentions, attachments, the CDN.

Validation mirrors the limits Discord enforces server-side (2000-character content, embed
limits, component limits), answering with the same error codes and ``errors`` tree, so a
bot that renders an over-long quote fails here exactly as it would in production.
"""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from .model import FakeUser, Pings, Snowflakes, Upload, iso

USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")
EVERYONE_MENTION = re.compile(r"@(?:everyone|here)")

MAX_CONTENT = 2000
MAX_EMBEDS = 10
MAX_EMBED_TOTAL = 6000
EMBED_LIMITS = {"title": 256, "description": 4096}
MAX_FIELDS = 25
FIELD_LIMITS = {"name": 256, "value": 1024}

# Message flags.
SUPPRESS_EMBEDS = 1 << 2
EPHEMERAL = 1 << 6
LOADING = 1 << 7
SUPPRESS_NOTIFICATIONS = 1 << 12


class DiscordHTTPError(Exception):
    """An error response in Discord's JSON shape: ``{"message", "code", "errors"?}``."""

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        data: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors:
            data["errors"] = self.errors
        return data


def not_found(what: str, code: int) -> DiscordHTTPError:
    return DiscordHTTPError(404, code, f"Unknown {what}")


def missing_permissions() -> DiscordHTTPError:
    return DiscordHTTPError(403, 50013, "Missing Permissions")


class _FormErrors:
    """Collects field errors into Discord's nested ``{"a": {"0": {"_errors": [...]}}}`` tree."""

    def __init__(self) -> None:
        self.tree: dict[str, Any] = {}

    def add(self, path: Iterable[str | int], code: str, message: str) -> None:
        node = self.tree
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def too_long(self, path: Iterable[str | int], limit: int) -> None:
        self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def raise_if_any(self) -> None:
        if self.tree:
            raise DiscordHTTPError(400, 50035, "Invalid Form Body", self.tree)


def validate_message(
    payload: Mapping[str, Any], *, file_count: int = 0, require_body: bool = True
) -> None:
    """Raise ``DiscordHTTPError`` where Discord would reject this message payload."""
    errors = _FormErrors()
    content = payload.get("content")
    if content is not None and len(content) > MAX_CONTENT:
        errors.too_long(["content"], MAX_CONTENT)
    embeds = payload.get("embeds") or []
    if len(embeds) > MAX_EMBEDS:
        errors.too_long(["embeds"], MAX_EMBEDS)
    total = 0
    for i, embed in enumerate(embeds):
        total += _validate_embed(embed, ["embeds", i], errors)
    if total > MAX_EMBED_TOTAL:
        errors.add(["embeds"], "MAX_EMBED_SIZE_EXCEEDED", "Embed size exceeds maximum size of 6000")
    _validate_components(payload.get("components") or [], errors)
    allowed = payload.get("allowed_mentions")
    if allowed:
        parse = allowed.get("parse") or []
        for kind in ("users", "roles"):
            if kind in parse and allowed.get(kind):
                errors.add(
                    ["allowed_mentions", kind],
                    "SET_TYPE_ALREADY_CONTAINS_VALUE",
                    f'parse:["{kind}"] and {kind}: [ids...] are mutually exclusive.',
                )
    errors.raise_if_any()
    has_body = (
        content
        or embeds
        or payload.get("components")
        or payload.get("sticker_ids")
        or payload.get("poll")
        or file_count
        or payload.get("attachments")
    )
    if require_body and not has_body:
        raise DiscordHTTPError(400, 50006, "Cannot send an empty message")


def _validate_embed(embed: Mapping[str, Any], path: list[Any], errors: _FormErrors) -> int:
    size = 0
    for key, limit in EMBED_LIMITS.items():
        text = embed.get(key) or ""
        size += len(text)
        if len(text) > limit:
            errors.too_long([*path, key], limit)
    fields = embed.get("fields") or []
    if len(fields) > MAX_FIELDS:
        errors.too_long([*path, "fields"], MAX_FIELDS)
    for i, fld in enumerate(fields):
        for key, limit in FIELD_LIMITS.items():
            text = fld.get(key) or ""
            size += len(text)
            if not text.strip():
                errors.add(
                    [*path, "fields", i, key], "BASE_TYPE_REQUIRED", "This field is required"
                )
            elif len(text) > limit:
                errors.too_long([*path, "fields", i, key], limit)
    for key, sub, limit in (("footer", "text", 2048), ("author", "name", 256)):
        text = (embed.get(key) or {}).get(sub) or ""
        size += len(text)
        if len(text) > limit:
            errors.too_long([*path, key, sub], limit)
    return size


def _validate_components(rows: list[Mapping[str, Any]], errors: _FormErrors) -> None:
    if len(rows) > 5 and all(r.get("type") == 1 for r in rows):
        errors.too_long(["components"], 5)
    for i, row in enumerate(rows):
        children = row.get("components") or []
        if row.get("type") == 1 and len(children) > 5:
            errors.too_long(["components", i, "components"], 5)
        for j, item in enumerate(children):
            path = ["components", i, "components", j]
            if len(item.get("custom_id") or "") > 100:
                errors.too_long([*path, "custom_id"], 100)
            if len(item.get("label") or "") > 80:
                errors.too_long([*path, "label"], 80)
            options = item.get("options") or []
            if len(options) > 25:
                errors.too_long([*path, "options"], 25)
            for k, opt in enumerate(options):
                for key in ("label", "value", "description"):
                    if len(opt.get(key) or "") > 100:
                        errors.too_long([*path, "options", k, key], 100)


def compute_pings(
    content: str | None, allowed_mentions: Mapping[str, Any] | None, replied_author_id: int | None
) -> Pings:
    """Who a message notifies, per Discord's allowed_mentions rules.

    Without ``allowed_mentions`` everything in the content pings, including the author of
    the replied-to message; with it, only what ``parse``/``users``/``roles`` allow, and the
    replied-to author only if ``replied_user`` is true.
    """
    content = content or ""
    if allowed_mentions is None:
        parse = {"users", "roles", "everyone"}
        users: set[int] = set()
        roles: set[int] = set()
        replied = True
    else:
        parse = set(allowed_mentions.get("parse") or [])
        users = {int(u) for u in allowed_mentions.get("users") or []}
        roles = {int(r) for r in allowed_mentions.get("roles") or []}
        replied = bool(allowed_mentions.get("replied_user", False))
    pinged_users = {
        int(u) for u in USER_MENTION.findall(content) if "users" in parse or int(u) in users
    }
    pinged_roles = {
        int(r) for r in ROLE_MENTION.findall(content) if "roles" in parse or int(r) in roles
    }
    if replied and replied_author_id is not None:
        pinged_users.add(replied_author_id)
    everyone = "everyone" in parse and bool(EVERYONE_MENTION.search(content))
    return Pings(frozenset(pinged_users), frozenset(pinged_roles), everyone)


def message_text(message: Mapping[str, Any]) -> str:
    """Everything a reader sees as text: content plus embed titles, descriptions, fields,
    author and footer lines, joined by newlines. Handy for ``assert "..." in``."""
    parts = [message.get("content") or ""]
    for embed in message.get("embeds") or []:
        parts.append((embed.get("author") or {}).get("name") or "")
        parts.append(embed.get("title") or "")
        parts.append(embed.get("description") or "")
        for fld in embed.get("fields") or []:
            parts.append(fld.get("name") or "")
            parts.append(fld.get("value") or "")
        parts.append((embed.get("footer") or {}).get("text") or "")
    return "\n".join(p for p in parts if p)


def component_labels(message: Mapping[str, Any]) -> list[str]:
    """Labels of every button and select option on a message, in order."""
    labels: list[str] = []

    def walk(items: Iterable[Mapping[str, Any]]) -> None:
        for item in items:
            if item.get("label"):
                labels.append(item["label"])
            labels.extend(o.get("label", "") for o in item.get("options") or [])
            walk(item.get("components") or [])

    walk(message.get("components") or [])
    return labels


def button_id(message: Mapping[str, Any], label: str) -> str:
    """The ``custom_id`` of the button labelled ``label`` on a message, to click it."""
    for row in message.get("components") or []:
        for item in row.get("components") or []:
            if item.get("label") == label:
                return item["custom_id"]
    raise AssertionError(f"no {label!r} button among {component_labels(message)}")


def find_component(message: Mapping[str, Any], custom_id: str) -> Mapping[str, Any] | None:
    def walk(items: Iterable[Mapping[str, Any]]) -> Mapping[str, Any] | None:
        for item in items:
            if item.get("custom_id") == custom_id:
                return item
            found = walk(item.get("components") or [])
            if found is None and isinstance(item.get("component"), Mapping):
                found = walk([item["component"]])
            if found is not None:
                return found
        return None

    return walk(message.get("components") or [])


@dataclass
class StoredFile:
    data: bytes
    content_type: str


class Cdn:
    """Attachment bytes served at ``/attachments/...`` (url) and ``/media/attachments/...``."""

    def __init__(self, ids: Snowflakes) -> None:
        self._ids = ids
        self.base = ""  # set when the server starts
        self.files: dict[str, StoredFile] = {}

    def store(self, channel_id: int, upload: Upload) -> dict[str, Any]:
        """Keep the bytes and return the attachment payload pointing at them."""
        attachment_id = self._ids.next()
        content_type = (
            upload.content_type
            or mimetypes.guess_type(upload.filename)[0]
            or "application/octet-stream"
        )
        path = f"/attachments/{channel_id}/{attachment_id}/{quote(upload.filename)}"
        self.files[path] = StoredFile(upload.data, content_type)
        data: dict[str, Any] = {
            "id": str(attachment_id),
            "filename": upload.filename,
            "size": len(upload.data),
            "url": f"{self.base}{path}",
            "proxy_url": f"{self.base}/media{path}",
            "content_type": content_type,
            "width": None,
            "height": None,
            "ephemeral": False,
            "flags": 0,
        }
        if upload.description is not None:
            data["description"] = upload.description
        return data

    def get(self, path: str) -> StoredFile | None:
        if path.startswith("/media/"):
            path = path[len("/media") :]
        return self.files.get(path)


class MessageStore:
    """Every message the fake knows, in creation order, with who each one pinged."""

    def __init__(
        self, ids: Snowflakes, resolve_mention: Callable[[int, int | None], dict[str, Any] | None]
    ) -> None:
        self._ids = ids
        self.resolve_mention = resolve_mention
        self.by_id: dict[int, dict[str, Any]] = {}
        self.deleted: set[int] = set()
        self.pings: dict[int, Pings] = {}

    def build(
        self,
        *,
        channel_id: int,
        guild_id: int | None,
        author: FakeUser,
        member: dict[str, Any] | None,
        payload: Mapping[str, Any],
        attachments: list[dict[str, Any]],
        type: int = 0,
        extra_mentions: Iterable[int] = (),
        extra: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Create, store and return a full message object (as the REST API returns it).

        ``mentions`` lists the users the message pings (plus ``extra_mentions``), each with
        a ``member`` key when the fake knows them as members of the guild.
        """
        message_id = self._ids.next()
        reference = payload.get("message_reference")
        referenced = None
        if reference and reference.get("message_id"):
            referenced = self.by_id.get(int(reference["message_id"]))
            # Discord answers with string snowflakes whatever the client sent (discord.py
            # sends ints) and never echoes fail_if_not_exists.
            reference = {
                "type": 0,
                "channel_id": str(channel_id),
                **{
                    k: str(v) if k.endswith("_id") and v is not None else v
                    for k, v in reference.items()
                    if k != "fail_if_not_exists"
                },
            }
            type = 19 if type == 0 else type
        replied_author = int(referenced["author"]["id"]) if referenced else None
        pings = compute_pings(
            payload.get("content"), payload.get("allowed_mentions"), replied_author
        )
        message: dict[str, Any] = {
            "id": str(message_id),
            "channel_id": str(channel_id),
            "type": type,
            "author": author.payload(),
            "content": payload.get("content") or "",
            "timestamp": iso(),
            "edited_timestamp": None,
            "tts": bool(payload.get("tts", False)),
            "mention_everyone": pings.everyone,
            "mentions": self._mention_payloads(pings.users | set(extra_mentions), guild_id),
            "mention_roles": [str(r) for r in sorted(pings.roles)],
            "attachments": attachments,
            "embeds": list(payload.get("embeds") or []),
            "components": list(payload.get("components") or []),
            "pinned": False,
            "flags": int(payload.get("flags") or 0),
        }
        if guild_id is not None:
            message["guild_id"] = str(guild_id)
        if member is not None:
            message["member"] = member
        if payload.get("nonce") is not None:
            message["nonce"] = payload["nonce"]
        if reference:
            message["message_reference"] = reference
            if referenced is not None:
                message["referenced_message"] = referenced
        if extra:
            message.update(extra)
        self.by_id[message_id] = message
        self.pings[message_id] = pings
        return message

    def edit(
        self,
        message: dict[str, Any],
        payload: Mapping[str, Any],
        attachments: list[dict[str, Any]] | None,
    ) -> dict[str, Any]:
        """Apply a PATCH body (only the keys present) and recompute who it pings."""
        empty: dict[str, Any] = {"content": "", "embeds": [], "components": [], "flags": 0}
        for key, default in empty.items():
            if key in payload:
                message[key] = default if payload[key] is None else payload[key]
        if attachments is not None:
            message["attachments"] = attachments
        message["edited_timestamp"] = iso()
        replied = message.get("referenced_message")
        pings = compute_pings(
            message.get("content"),
            payload.get("allowed_mentions"),
            int(replied["author"]["id"]) if replied else None,
        )
        self.pings[int(message["id"])] = pings
        message["mention_everyone"] = pings.everyone
        message["mention_roles"] = [str(r) for r in sorted(pings.roles)]
        guild_id = int(message["guild_id"]) if "guild_id" in message else None
        message["mentions"] = self._mention_payloads(pings.users, guild_id)
        return message

    def _mention_payloads(
        self,
        user_ids: Iterable[int],
        guild_id: int | None,
    ) -> list[dict[str, Any]]:
        return [p for p in (self.resolve_mention(uid, guild_id) for uid in sorted(user_ids)) if p]

    def get(self, message_id: int) -> dict[str, Any] | None:
        if message_id in self.deleted:
            return None
        return self.by_id.get(message_id)

    def in_channel(self, channel_id: int) -> list[dict[str, Any]]:
        key = str(channel_id)
        return [
            m for mid, m in self.by_id.items() if m["channel_id"] == key and mid not in self.deleted
        ]

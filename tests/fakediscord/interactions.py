"""Interactions a fake user starts: slash commands, context menus, components, modals.

Builders here turn friendly arguments (``{"question": "who met Kim"}``, a ``FakeMember``, an
``Upload``) into INTERACTION_CREATE payloads shaped like Discord's, looking option types up in
the commands the bot registered. As the Discord client does, they refuse to invoke a command
that was never synced, that the user's permissions hide, or with missing/unknown options.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .messages import EPHEMERAL, LOADING, find_component
from .model import (
    ADD_REACTIONS,
    ADMINISTRATOR,
    ATTACH_FILES,
    DM,
    EMBED_LINKS,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    FakeChannel,
    FakeMember,
    FakeRole,
    FakeUser,
    Upload,
)

if TYPE_CHECKING:
    from .server import FakeDiscord

# Interaction types.
APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
# Application command types.
CHAT_INPUT, USER_COMMAND, MESSAGE_COMMAND = 1, 2, 3
# Option types.
SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER, BOOLEAN = 1, 2, 3, 4, 5
USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 6, 7, 8, 9, 10, 11
# Callback types a bot may answer with, per interaction type.
ALLOWED_CALLBACKS = {
    APPLICATION_COMMAND: {4, 5, 9},
    MESSAGE_COMPONENT: {4, 5, 6, 7, 9},
    AUTOCOMPLETE: {8},
    MODAL_SUBMIT: {4, 5, 6, 7},
}
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


@dataclass(eq=False)
class FakeInteraction:
    """One interaction the fake dispatched, and everything the bot did with it.

    Attributes:
        payload: The INTERACTION_CREATE data sent to the bot.
        responses: Callback bodies the bot POSTed (``{"type": 5, "data": {...}}``), in order;
            Discord accepts only one, later ones were answered 400 (code 40060).
        original_id: The message ``@original`` refers to (type 4/5 response, or the
            component's message for 6/7).
        followup_ids: Messages created by followups (a first followup after a type 5 defer
            fills in the deferred message instead, as on Discord).
        modal: The modal the bot opened (type 9 data), for ``submit_modal``.
        choices: Autocomplete choices the bot returned (type 8).
        late: The bot answered after Discord's deadline (3 s): Discord said 10062
            "Unknown interaction" and the user saw "This interaction failed".
    """

    id: int
    token: str
    type: int
    user: FakeUser
    member: FakeMember | None
    channel: FakeChannel
    payload: dict[str, Any]
    message_id: int | None = None
    command_type: int = CHAT_INPUT
    responses: list[dict[str, Any]] = field(default_factory=list)
    original_id: int | None = None
    original_shown: bool = False  # created (4/5) or changed (7, edit) by this interaction
    followup_ids: list[int] = field(default_factory=list)
    modal: dict[str, Any] | None = None
    choices: list[dict[str, Any]] | None = None
    late: bool = False
    created: float = field(default_factory=time.monotonic)

    def expired(self, deadline: float | None) -> bool:
        """Whether the first response comes too late (Discord waits ``deadline`` seconds)."""
        return deadline is not None and time.monotonic() - self.created > deadline

    @property
    def responded(self) -> bool:
        return bool(self.responses)

    @property
    def response_type(self) -> int | None:
        return self.responses[0]["type"] if self.responses else None

    def message_ids(self) -> list[int]:
        ids = [i for i in (self.original_id, self.message_id) if i is not None]
        return ids + self.followup_ids


def base_payload(
    fake: FakeDiscord,
    type: int,
    user: FakeUser | FakeMember,
    channel: FakeChannel,
    data: dict[str, Any],
) -> tuple[dict[str, Any], FakeMember | None]:
    """The envelope every interaction shares (ids, token, who, where, permissions)."""
    interaction_id = fake.ids.next()
    payload: dict[str, Any] = {
        "id": str(interaction_id),
        "application_id": str(fake.application_id),
        "type": type,
        "data": data,
        "token": f"fake-{secrets.token_urlsafe(24)}",
        "version": 1,
        "locale": "en-US",
        "entitlements": [],
        "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        "channel_id": str(channel.id),
        "channel": channel.payload(),
    }
    member: FakeMember | None = None
    if channel.type == DM:
        person = user.user if isinstance(user, FakeMember) else user
        payload.update(
            user=person.payload(),
            context=1,
            authorizing_integration_owners={"0": "0"},
            app_permissions=str(_dm_permissions()),
        )
    else:
        guild = fake.guilds[channel.guild_id or 0]
        member = user if isinstance(user, FakeMember) else guild.member(user)
        bot = guild.members[fake.bot_user.id]
        payload.update(
            guild_id=str(guild.id),
            guild={"id": str(guild.id), "locale": "en-US", "features": []},
            guild_locale="en-US",
            member=member.payload(channel=channel, with_permissions=True),
            context=0,
            authorizing_integration_owners={"0": str(guild.id)},
            app_permissions=str(bot.permissions(channel)),
        )
    return payload, member


def _dm_permissions() -> int:
    return (
        VIEW_CHANNEL
        | SEND_MESSAGES
        | EMBED_LINKS
        | ATTACH_FILES
        | READ_MESSAGE_HISTORY
        | ADD_REACTIONS
    )


def find_command(
    fake: FakeDiscord,
    name: str,
    command_type: int,
    channel: FakeChannel,
) -> dict[str, Any] | None:
    """The registered command a user in ``channel`` would see (guild commands first)."""
    scopes: list[int | None] = [] if channel.guild_id is None else [channel.guild_id]
    scopes.append(None)
    for scope in scopes:
        for command in fake.commands.get(scope, []):
            if command["name"] == name and command.get("type", 1) == command_type:
                if scope is None and not _usable_in(command, channel):
                    continue
                return command
    return None


def _usable_in(command: Mapping[str, Any], channel: FakeChannel) -> bool:
    contexts = command.get("contexts")
    if channel.type == DM:
        if command.get("dm_permission") is False:
            return False
        return contexts is None or 1 in contexts
    return contexts is None or 0 in contexts


def check_member_may_use(
    command: Mapping[str, Any], member: FakeMember | None, channel: FakeChannel
) -> None:
    """Discord hides commands whose default_member_permissions the member lacks."""
    needed = command.get("default_member_permissions")
    if member is None or needed is None:
        return
    perms = member.permissions(channel)
    if perms & ADMINISTRATOR:
        return
    if int(needed) & ~perms:
        raise PermissionError(
            f"{member.name} cannot see /{command['name']}: it requires permissions "
            f"{needed} (default_member_permissions) and they have {perms}. Pass "
            "strict=False to send it anyway."
        )


def command_data(
    fake: FakeDiscord,
    name: str,
    options: Mapping[str, Any],
    channel: FakeChannel,
    *,
    strict: bool,
    focused: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """Build ``data`` for a slash command; ``name`` may hold subcommands ("tag add")."""
    root, *subs = name.split()
    command = find_command(fake, root, CHAT_INPUT, channel)
    if command is None and strict:
        raise LookupError(
            f"/{root} is not a registered command visible in #{channel.name}; the bot must "
            f"sync it first. Registered: {fake.registered_command_names()}"
        )
    schema = command.get("options", []) if command else None
    resolved: dict[str, dict[str, Any]] = {}
    leaf = _build_options(
        fake, schema, options, channel, resolved, strict=strict, focused=focused, where=f"/{name}"
    )
    for sub in reversed(subs):
        leaf = [{"name": sub, "type": SUB_COMMAND, "options": leaf}]
    # Subcommand groups: wrap the outer subcommand as a group when there are two levels.
    if len(subs) == 2:
        leaf[0]["type"] = SUB_COMMAND_GROUP
    data: dict[str, Any] = {
        "id": str(command["id"]) if command else str(fake.ids.next()),
        "name": root,
        "type": CHAT_INPUT,
        "options": leaf,
    }
    if resolved:
        data["resolved"] = resolved
    if command and command.get("guild_id"):
        data["guild_id"] = command["guild_id"]
    return data, command


def _subschema(
    schema: list[dict[str, Any]] | None,
    names: list[str],
) -> list[dict[str, Any]] | None:
    for name in names:
        if schema is None:
            return None
        found = next((o for o in schema if o["name"] == name), None)
        schema = found.get("options", []) if found else None
    return schema


def _build_options(
    fake: FakeDiscord,
    schema: list[dict[str, Any]] | None,
    given: Mapping[str, Any],
    channel: FakeChannel,
    resolved: dict[str, dict[str, Any]],
    *,
    strict: bool,
    focused: str | None,
    where: str,
) -> list[dict[str, Any]]:
    # ``where`` is "/root sub ..." so nested schemas resolve through subcommand names.
    schema = _subschema(schema, where.lstrip("/").split()[1:])
    by_name = {o["name"]: o for o in schema or []}
    if strict and schema is not None:
        unknown = sorted(set(given) - set(by_name))
        if unknown:
            raise ValueError(f"{where} has no option(s) {unknown}; it has {sorted(by_name)}")
        missing = [o["name"] for o in schema if o.get("required") and o["name"] not in given]
        if missing and focused is None:
            raise ValueError(f"{where} requires option(s) {missing}")
    result = []
    for opt_name, value in given.items():
        opt_schema = by_name.get(opt_name)
        opt_type = opt_schema["type"] if opt_schema else _infer_type(value)
        if opt_name == focused:
            result.append(
                {"name": opt_name, "type": opt_type, "value": str(value), "focused": True}
            )
            continue
        wire = _wire_value(fake, opt_type, value, channel, resolved)
        if strict and opt_schema and opt_schema.get("choices"):
            allowed = [c["value"] for c in opt_schema["choices"]]
            if wire not in allowed:
                raise ValueError(f"{where} option {opt_name}={wire!r} is not one of {allowed}")
        result.append({"name": opt_name, "type": opt_type, "value": wire})
    return result


def _infer_type(value: Any) -> int:
    if isinstance(value, bool):
        return BOOLEAN
    if isinstance(value, int):
        return INTEGER
    if isinstance(value, float):
        return NUMBER
    if isinstance(value, FakeUser | FakeMember):
        return USER
    if isinstance(value, FakeChannel):
        return CHANNEL
    if isinstance(value, FakeRole):
        return ROLE
    if isinstance(value, Upload):
        return ATTACHMENT
    return STRING


def _wire_value(
    fake: FakeDiscord,
    opt_type: int,
    value: Any,
    channel: FakeChannel,
    resolved: dict[str, dict[str, Any]],
) -> Any:
    if opt_type == STRING:
        return str(value)
    if opt_type == INTEGER:
        return int(value)
    if opt_type == NUMBER:
        return float(value)
    if opt_type == BOOLEAN:
        return bool(value)
    if opt_type in (USER, MENTIONABLE) and isinstance(value, FakeUser | FakeMember):
        user = value.user if isinstance(value, FakeMember) else value
        resolved.setdefault("users", {})[str(user.id)] = user.payload()
        member = value if isinstance(value, FakeMember) else _member_or_none(fake, user, channel)
        if member is not None:
            resolved.setdefault("members", {})[str(user.id)] = member.payload(
                with_user=False, channel=channel, with_permissions=True
            )
        return str(user.id)
    if opt_type in (ROLE, MENTIONABLE) and isinstance(value, FakeRole):
        resolved.setdefault("roles", {})[str(value.id)] = value.payload()
        return str(value.id)
    if opt_type == CHANNEL and isinstance(value, FakeChannel):
        resolved.setdefault("channels", {})[str(value.id)] = {
            **value.payload(),
            "permissions": str(_viewer_permissions(fake, channel, value)),
        }
        return str(value.id)
    if opt_type == ATTACHMENT and isinstance(value, Upload):
        attachment = fake.cdn.store(channel.id, value)
        attachment["ephemeral"] = True
        resolved.setdefault("attachments", {})[attachment["id"]] = attachment
        return attachment["id"]
    raise TypeError(f"cannot send {value!r} as an option of type {opt_type}")


def _member_or_none(fake: FakeDiscord, user: FakeUser, channel: FakeChannel) -> FakeMember | None:
    guild = fake.guilds.get(channel.guild_id or 0)
    return guild.members.get(user.id) if guild else None


def _viewer_permissions(fake: FakeDiscord, here: FakeChannel, target: FakeChannel) -> int:
    guild = fake.guilds.get(here.guild_id or 0)
    if guild is None:
        return 0
    return guild.members[fake.bot_user.id].permissions(target)


def component_data(
    message: Mapping[str, Any], custom_id: str, values: list[str] | None, *, strict: bool
) -> dict[str, Any]:
    component = find_component(message, custom_id)
    if component is None and strict:
        raise LookupError(f"message {message['id']} has no component with custom_id {custom_id!r}")
    component_type = component["type"] if component else (3 if values is not None else 2)
    if strict and component and component.get("disabled"):
        raise ValueError(f"component {custom_id!r} is disabled; a user cannot use it")
    data: dict[str, Any] = {"custom_id": custom_id, "component_type": component_type}
    if values is not None or component_type in (3, 5, 6, 7, 8):
        data["values"] = list(values or [])
    return data


def modal_data(
    modal: Mapping[str, Any],
    values: Mapping[str, str],
    *,
    strict: bool,
) -> dict[str, Any]:
    """Mirror the modal's layout (action rows or labels) with the submitted text values."""
    seen: set[str] = set()

    def answer(item: Mapping[str, Any]) -> dict[str, Any]:
        custom_id = item.get("custom_id", "")
        seen.add(custom_id)
        if strict and item.get("required", True) and custom_id not in values:
            raise ValueError(f"modal field {custom_id!r} is required")
        return {"type": item["type"], "custom_id": custom_id, "value": values.get(custom_id, "")}

    components = []
    for top in modal.get("components", []):
        if top.get("type") == 1:
            components.append({"type": 1, "components": [answer(c) for c in top["components"]]})
        elif top.get("type") == 18:
            components.append({"type": 18, "component": answer(top["component"])})
    unknown = set(values) - seen
    if strict and unknown:
        raise ValueError(f"modal has no field(s) {sorted(unknown)}")
    return {"custom_id": modal["custom_id"], "components": components}


def is_ephemeral(message: Mapping[str, Any]) -> bool:
    return bool(int(message.get("flags") or 0) & EPHEMERAL)


def is_loading(message: Mapping[str, Any]) -> bool:
    return bool(int(message.get("flags") or 0) & LOADING)

"""The fake REST API: routes discord.py calls, answered with Discord-shaped JSON and errors.

Every request is recorded as a ``Call`` (multipart bodies parsed: ``payload_json`` becomes
``call.json``, file parts ``call.files``). Unknown routes answer 404 and are recorded with
``known=False``. The fake never answers 5xx: discord.py retries those after sleeping, which
would turn a fake bug into a slow test, so internal errors answer 400 and are kept in
``fake.errors`` (the fixture fails the test on them).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import web

from . import interactions as ix
from .messages import (
    EPHEMERAL,
    LOADING,
    DiscordHTTPError,
    missing_permissions,
    not_found,
    validate_message,
)
from .model import (
    ADD_REACTIONS,
    ATTACH_FILES,
    DM,
    MANAGE_MESSAGES,
    READ_MESSAGE_HISTORY,
    SEND_MESSAGES,
    VIEW_CHANNEL,
    FakeChannel,
    FakeGuild,
    Upload,
)
from .recording import Call, UploadedFile

if TYPE_CHECKING:
    from .server import FakeDiscord

log = logging.getLogger(__name__)

API_PREFIX = re.compile(r"/api/v\d+(/.*)")
COMMAND_NAME = re.compile(r"^[-_'\w]{1,32}$")
MESSAGE_TYPES = {ix.CHAT_INPUT: 20, ix.USER_COMMAND: 23, ix.MESSAGE_COMMAND: 23}


@dataclass
class Req:
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    json: Any
    files: list[UploadedFile] = field(default_factory=list)

    def id(self, name: str) -> int:
        try:
            return int(self.params[name])
        except ValueError:
            raise DiscordHTTPError(
                400,
                50035,
                "Invalid Form Body",
                {
                    name: {
                        "_errors": [
                            {"code": "NUMBER_TYPE_COERCE", "message": "Value is not snowflake."}
                        ]
                    }
                },
            ) from None


Handler = Callable[[Req], Awaitable[tuple[int, Any]]]


class RestApi:
    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake
        app = "/applications/{app_id}"
        guild_cmds = app + "/guilds/{guild_id}/commands"
        msg = "/channels/{channel_id}/messages/{message_id}"
        hook = "/webhooks/{app_id}/{token}"
        table: list[tuple[str, str, Handler, bool]] = [
            ("GET", "/users/@me", self.get_me, True),
            ("POST", "/users/@me/channels", self.create_dm, True),
            ("GET", "/users/{user_id}", self.get_user, True),
            ("GET", "/gateway", self.get_gateway, False),
            ("GET", "/gateway/bot", self.get_gateway_bot, True),
            ("GET", "/applications/@me", self.get_application, True),
            ("GET", "/oauth2/applications/@me", self.get_application, True),
            ("GET", app + "/commands", self.get_commands, True),
            ("PUT", app + "/commands", self.put_commands, True),
            ("POST", app + "/commands", self.post_command, True),
            ("GET", app + "/commands/{command_id}", self.get_command, True),
            ("PATCH", app + "/commands/{command_id}", self.patch_command, True),
            ("DELETE", app + "/commands/{command_id}", self.delete_command, True),
            ("GET", guild_cmds, self.get_commands, True),
            ("PUT", guild_cmds, self.put_commands, True),
            ("POST", guild_cmds, self.post_command, True),
            ("GET", guild_cmds + "/{command_id}", self.get_command, True),
            ("PATCH", guild_cmds + "/{command_id}", self.patch_command, True),
            ("DELETE", guild_cmds + "/{command_id}", self.delete_command, True),
            ("GET", "/channels/{channel_id}", self.get_channel, True),
            ("GET", "/channels/{channel_id}/messages", self.get_messages, True),
            ("POST", "/channels/{channel_id}/messages", self.create_message, True),
            ("POST", "/channels/{channel_id}/typing", self.typing, True),
            ("GET", msg, self.get_message, True),
            ("PATCH", msg, self.edit_message, True),
            ("DELETE", msg, self.delete_message, True),
            ("PUT", msg + "/reactions/{emoji}/@me", self.add_reaction, True),
            ("DELETE", msg + "/reactions/{emoji}/@me", self.remove_reaction, True),
            ("GET", "/guilds/{guild_id}", self.get_guild, True),
            ("GET", "/guilds/{guild_id}/channels", self.get_guild_channels, True),
            ("GET", "/guilds/{guild_id}/roles", self.get_guild_roles, True),
            ("GET", "/guilds/{guild_id}/members", self.list_members, True),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self.get_member, True),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self.callback, False),
            ("POST", hook, self.followup, False),
            ("GET", hook + "/messages/{message_id}", self.get_hook_message, False),
            ("PATCH", hook + "/messages/{message_id}", self.edit_hook_message, False),
            ("DELETE", hook + "/messages/{message_id}", self.delete_hook_message, False),
        ]
        self.routes = [(m, _compile(p), h, auth) for m, p, h, auth in table]

    # -- plumbing -----------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.Response:
        fake = self.fake
        match = API_PREFIX.fullmatch(request.path)
        path = match.group(1) if match else request.path
        call = Call(
            request.method,
            path,
            dict(request.query),
            reason=request.headers.get("X-Audit-Log-Reason"),
        )
        try:
            call.json, call.files = await _read_body(request)
            route = self._match(request.method, path)
            if route is None:
                call.known = False
                raise DiscordHTTPError(404, 0, "404: Not Found")
            handler, params, auth = route
            if auth and request.headers.get("Authorization") != f"Bot {fake.token}":
                raise DiscordHTTPError(401, 0, "401: Unauthorized")
            req = Req(request.method, path, params, call.query, call.json, call.files)
            status, body = await handler(req)
        except DiscordHTTPError as exc:
            status, body = exc.status, exc.body()
        except Exception as exc:
            log.exception("fake Discord failed on %s %s", request.method, path)
            fake.errors.append(exc)
            status, body = 400, {"message": f"fake Discord internal error: {exc!r}", "code": 0}
        call.status, call.response = status, body
        fake.record(call)
        if status == 204:
            return web.Response(status=204)
        # Exactly "application/json": discord.py compares the header verbatim and treats
        # anything else (even with "; charset=utf-8") as text.
        return web.Response(
            status=status,
            body=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )

    def _match(self, method: str, path: str) -> tuple[Handler, dict[str, str], bool] | None:
        for route_method, rx, handler, auth in self.routes:
            if route_method == method and (m := rx.fullmatch(path)):
                return handler, m.groupdict(), auth
        return None

    def _guild(self, guild_id: int) -> FakeGuild:
        guild = self.fake.guilds.get(guild_id)
        if guild is None:
            raise not_found("Guild", 10004)
        if self.fake.bot_user.id not in guild.members:
            raise DiscordHTTPError(403, 50001, "Missing Access")
        return guild

    def _channel(self, req: Req, *needed: int) -> FakeChannel:
        """The channel in the path, checking the bot can see it and has ``needed`` there."""
        channel = self.fake.find_channel(req.id("channel_id"))
        if channel is None:
            raise not_found("Channel", 10003)
        if channel.type == DM:
            return channel
        guild = self._guild(channel.guild_id or 0)
        perms = self.fake.bot_member(guild).permissions(channel)
        if not perms & VIEW_CHANNEL:
            raise DiscordHTTPError(403, 50001, "Missing Access")
        for bit in needed:
            if not perms & bit:
                raise missing_permissions()
        return channel

    def _message(self, channel: FakeChannel, message_id: int) -> dict[str, Any]:
        message = self.fake.messages.get(message_id)
        if message is None or message["channel_id"] != str(channel.id):
            raise not_found("Message", 10008)
        return message

    def _attachments(
        self,
        channel_id: int,
        payload: dict[str, Any],
        files: list[UploadedFile],
        existing: list[dict[str, Any]] | None,
    ) -> list[dict[str, Any]] | None:
        """Attachment payloads after a create/edit: uploads by index, kept ones by id."""
        uploads = {f.field: f for f in files}
        entries = payload.get("attachments")
        if entries is None:
            if not files:
                return None
            entries = [{"id": i} for i in range(len(files))]
        kept = {a["id"]: a for a in existing or []}
        result = []
        for entry in entries:
            key = str(entry.get("id"))
            if (part := uploads.get(f"files[{key}]")) is not None:
                content_type = (
                    None if part.content_type == "application/octet-stream" else part.content_type
                )
                upload = Upload(
                    entry.get("filename") or part.filename,
                    part.data,
                    content_type,
                    entry.get("description"),
                )
                result.append(self.fake.cdn.store(channel_id, upload))
            elif key in kept:
                result.append(kept[key])
            else:
                raise DiscordHTTPError(
                    400,
                    50035,
                    "Invalid Form Body",
                    {
                        "attachments": {
                            "_errors": [
                                {
                                    "code": "ATTACHMENT_NOT_FOUND",
                                    "message": f"Attachment {key} not found",
                                }
                            ]
                        }
                    },
                )
        return result

    async def _bot_message(
        self,
        channel: FakeChannel,
        payload: dict[str, Any],
        files: list[UploadedFile],
        *,
        type: int = 0,
        extra: dict[str, Any] | None = None,
        require_body: bool = True,
    ) -> dict[str, Any]:
        """Create a message authored by the bot, dispatching MESSAGE_CREATE unless ephemeral."""
        fake = self.fake
        validate_message(payload, file_count=len(files), require_body=require_body)
        reference = payload.get("message_reference") or {}
        target = reference.get("message_id")
        if (
            target
            and reference.get("fail_if_not_exists", True)
            and fake.messages.get(int(target)) is None
        ):
            raise DiscordHTTPError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "message_reference": {
                        "_errors": [
                            {
                                "code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                                "message": "Unknown message",
                            }
                        ]
                    }
                },
            )
        member = None
        if channel.guild_id is not None:
            member = fake.bot_member(fake.guilds[channel.guild_id]).payload(with_user=False)
        message = fake.messages.build(
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=fake.bot_user,
            member=member,
            payload=payload,
            attachments=self._attachments(channel.id, payload, files, None) or [],
            type=type,
            extra=extra,
        )
        if not int(message["flags"]) & EPHEMERAL:
            await fake.dispatch_message("MESSAGE_CREATE", message)
        return message

    async def _edit(
        self, message: dict[str, Any], payload: dict[str, Any], files: list[UploadedFile]
    ) -> dict[str, Any]:
        validate_message(payload, file_count=len(files), require_body=False)
        attachments = self._attachments(
            int(message["channel_id"]), payload, files, message.get("attachments")
        )
        self.fake.messages.edit(message, payload, attachments)
        if not int(message["flags"]) & EPHEMERAL:
            await self.fake.dispatch_message("MESSAGE_UPDATE", message)
        return message

    async def _delete(self, message: dict[str, Any]) -> None:
        fake = self.fake
        fake.messages.deleted.add(int(message["id"]))
        if not int(message["flags"]) & EPHEMERAL:
            data = {"id": message["id"], "channel_id": message["channel_id"]}
            if "guild_id" in message:
                data["guild_id"] = message["guild_id"]
            await fake.dispatch("MESSAGE_DELETE", data)
        fake.notify()

    # -- users, gateway, application ----------------------------------------------------

    async def get_me(self, req: Req) -> tuple[int, Any]:
        return 200, {**self.fake.bot_user.payload(), "verified": True, "mfa_enabled": False}

    async def get_user(self, req: Req) -> tuple[int, Any]:
        user = self.fake.users.get(req.id("user_id"))
        if user is None:
            raise not_found("User", 10013)
        return 200, user.payload()

    async def create_dm(self, req: Req) -> tuple[int, Any]:
        user = self.fake.users.get(int((req.json or {}).get("recipient_id", 0)))
        if user is None:
            raise not_found("User", 10013)
        return 200, self.fake.dm_channel(user).payload()

    async def get_gateway(self, req: Req) -> tuple[int, Any]:
        return 200, {"url": self.fake.gateway_url}

    async def get_gateway_bot(self, req: Req) -> tuple[int, Any]:
        return 200, {
            "url": self.fake.gateway_url,
            "shards": 1,
            "session_start_limit": {
                "total": 1000,
                "remaining": 999,
                "reset_after": 14400000,
                "max_concurrency": 1,
            },
        }

    async def get_application(self, req: Req) -> tuple[int, Any]:
        fake = self.fake
        return 200, {
            "id": str(fake.application_id),
            "name": fake.bot_user.name,
            "icon": None,
            "description": "",
            "summary": "",
            "type": None,
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": fake.app_owner.payload(),
            "team": None,
            "verify_key": "0" * 64,
            "flags": fake.application_flags,
            "bot": fake.bot_user.payload(),
            "interactions_endpoint_url": None,
            "redirect_uris": [],
            "tags": [],
        }

    # -- application commands -----------------------------------------------------------

    def _scope(self, req: Req) -> int | None:
        if req.id("app_id") != self.fake.application_id:
            raise DiscordHTTPError(403, 50001, "Missing Access")
        if "guild_id" not in req.params:
            return None
        return self._guild(req.id("guild_id")).id

    def _normalise(
        self, body: dict[str, Any], scope: int | None, existing: dict[str, Any] | None
    ) -> dict[str, Any]:
        fake = self.fake
        command = {
            "id": existing["id"] if existing else str(fake.ids.next()),
            "application_id": str(fake.application_id),
            "version": str(fake.ids.next()),
            "type": body.get("type", 1),
            "name": body["name"],
            "description": body.get("description", ""),
            "options": body.get("options") or [],
            "default_member_permissions": body.get("default_member_permissions"),
            "dm_permission": body.get("dm_permission", True),
            "nsfw": body.get("nsfw", False),
            "contexts": body.get("contexts"),
            "integration_types": body.get("integration_types") or [0],
            "name_localizations": body.get("name_localizations"),
            "description_localizations": body.get("description_localizations"),
        }
        if scope is not None:
            command["guild_id"] = str(scope)
        return command

    async def get_commands(self, req: Req) -> tuple[int, Any]:
        return 200, self.fake.commands.get(self._scope(req), [])

    async def put_commands(self, req: Req) -> tuple[int, Any]:
        scope = self._scope(req)
        bodies = req.json or []
        _validate_commands(bodies)
        old = {(c["name"], c["type"]): c for c in self.fake.commands.get(scope, [])}
        self.fake.commands[scope] = [
            self._normalise(b, scope, old.get((b["name"], b.get("type", 1)))) for b in bodies
        ]
        return 200, self.fake.commands[scope]

    async def post_command(self, req: Req) -> tuple[int, Any]:
        scope = self._scope(req)
        _validate_commands([req.json])
        commands = self.fake.commands.setdefault(scope, [])
        key = (req.json["name"], req.json.get("type", 1))
        for i, command in enumerate(commands):
            if (command["name"], command["type"]) == key:
                commands[i] = self._normalise(req.json, scope, command)
                return 200, commands[i]
        commands.append(self._normalise(req.json, scope, None))
        return 201, commands[-1]

    def _find_command(self, req: Req) -> tuple[list[dict[str, Any]], int]:
        commands = self.fake.commands.get(self._scope(req), [])
        for i, command in enumerate(commands):
            if command["id"] == req.params["command_id"]:
                return commands, i
        raise not_found("application command", 10063)

    async def get_command(self, req: Req) -> tuple[int, Any]:
        commands, i = self._find_command(req)
        return 200, commands[i]

    async def patch_command(self, req: Req) -> tuple[int, Any]:
        commands, i = self._find_command(req)
        merged = {**commands[i], **(req.json or {})}
        _validate_commands([merged])
        commands[i] = self._normalise(merged, self._scope(req), commands[i])
        return 200, commands[i]

    async def delete_command(self, req: Req) -> tuple[int, Any]:
        commands, i = self._find_command(req)
        del commands[i]
        return 204, None

    # -- channels and messages ----------------------------------------------------------

    async def get_channel(self, req: Req) -> tuple[int, Any]:
        return 200, self._channel(req).payload()

    async def get_messages(self, req: Req) -> tuple[int, Any]:
        channel = self._channel(req, READ_MESSAGE_HISTORY)
        messages = self.fake.messages.in_channel(channel.id)
        if "before" in req.query:
            messages = [m for m in messages if int(m["id"]) < int(req.query["before"])]
        if "after" in req.query:
            messages = [m for m in messages if int(m["id"]) > int(req.query["after"])]
        limit = max(1, min(100, int(req.query.get("limit", 50))))
        newest_first = list(reversed(messages))
        return 200, newest_first[:limit]

    async def create_message(self, req: Req) -> tuple[int, Any]:
        needed = [SEND_MESSAGES] + ([ATTACH_FILES] if req.files else [])
        channel = self._channel(req, *needed)
        return 200, await self._bot_message(channel, req.json or {}, req.files)

    async def typing(self, req: Req) -> tuple[int, Any]:
        self._channel(req, SEND_MESSAGES)
        return 204, None

    async def get_message(self, req: Req) -> tuple[int, Any]:
        channel = self._channel(req, READ_MESSAGE_HISTORY)
        return 200, self._message(channel, req.id("message_id"))

    async def edit_message(self, req: Req) -> tuple[int, Any]:
        channel = self._channel(req)
        message = self._message(channel, req.id("message_id"))
        if message["author"]["id"] != str(self.fake.bot_user.id):
            raise DiscordHTTPError(403, 50005, "Cannot edit a message authored by another user")
        return 200, await self._edit(message, req.json or {}, req.files)

    async def delete_message(self, req: Req) -> tuple[int, Any]:
        channel = self._channel(req)
        message = self._message(channel, req.id("message_id"))
        if message["author"]["id"] != str(self.fake.bot_user.id):
            if channel.type == DM:
                raise DiscordHTTPError(403, 50003, "Cannot execute action on a DM channel")
            self._channel(req, MANAGE_MESSAGES)
        await self._delete(message)
        return 204, None

    async def add_reaction(self, req: Req) -> tuple[int, Any]:
        channel = self._channel(req, READ_MESSAGE_HISTORY, ADD_REACTIONS)
        message = self._message(channel, req.id("message_id"))
        self.fake.reactions.setdefault(int(message["id"]), []).append(req.params["emoji"])
        return 204, None

    async def remove_reaction(self, req: Req) -> tuple[int, Any]:
        channel = self._channel(req)
        emojis = self.fake.reactions.get(int(self._message(channel, req.id("message_id"))["id"]))
        if emojis and req.params["emoji"] in emojis:
            emojis.remove(req.params["emoji"])
        return 204, None

    # -- guilds -------------------------------------------------------------------------

    async def get_guild(self, req: Req) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        data = guild.rest_payload()
        if req.query.get("with_counts") in ("true", "1", "True"):
            data.update(approximate_member_count=len(guild.members), approximate_presence_count=0)
        return 200, data

    async def get_guild_channels(self, req: Req) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        return 200, [c.payload() for c in guild.channels.values()]

    async def get_guild_roles(self, req: Req) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        return 200, [r.payload() for r in guild.roles.values()]

    async def list_members(self, req: Req) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        limit = max(1, min(1000, int(req.query.get("limit", 1))))
        after = int(req.query.get("after", 0))
        members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)
        return 200, [m.payload() for m in members[:limit]]

    async def get_member(self, req: Req) -> tuple[int, Any]:
        guild = self._guild(req.id("guild_id"))
        member = guild.members.get(req.id("user_id"))
        if member is None:
            raise not_found("Member", 10007)
        return 200, member.payload()

    # -- interactions -------------------------------------------------------------------

    def _interaction_by_token(self, req: Req) -> ix.FakeInteraction:
        if req.id("app_id") != self.fake.application_id:
            raise not_found("Webhook", 10015)
        for interaction in self.fake.interactions.values():
            if interaction.token == req.params["token"]:
                return interaction
        raise not_found("Webhook", 10015)

    def _interaction_extra(self, interaction: ix.FakeInteraction) -> dict[str, Any]:
        app_id = str(self.fake.application_id)
        return {
            "application_id": app_id,
            "webhook_id": app_id,
            "interaction_metadata": {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": interaction.user.payload(),
                "authorizing_integration_owners": interaction.payload.get(
                    "authorizing_integration_owners", {}
                ),
            },
        }

    def _message_type(self, interaction: ix.FakeInteraction) -> int:
        if interaction.type == ix.APPLICATION_COMMAND:
            return MESSAGE_TYPES[interaction.command_type]
        return 0

    async def callback(self, req: Req) -> tuple[int, Any]:
        interaction = self.fake.interactions.get(req.id("interaction_id"))
        if interaction is None or interaction.token != req.params["token"]:
            raise not_found("interaction", 10062)
        if interaction.responded:
            raise DiscordHTTPError(400, 40060, "Interaction has already been acknowledged.")
        if interaction.expired(self.fake.interaction_deadline):
            interaction.late = True
            raise not_found("interaction", 10062)
        body = req.json or {}
        kind = body.get("type")
        data = body.get("data") or {}
        if kind not in ix.ALLOWED_CALLBACKS.get(interaction.type, set()):
            raise DiscordHTTPError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "type": {
                        "_errors": [
                            {
                                "code": "INTERACTION_RESPONSE_TYPE_INVALID",
                                "message": f"Response type {kind} is not valid for this interaction",
                            }
                        ]
                    }
                },
            )
        if kind in (6, 7) and interaction.message_id is None:
            raise DiscordHTTPError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "type": {
                        "_errors": [
                            {
                                "code": "INTERACTION_RESPONSE_TYPE_INVALID",
                                "message": "This interaction has no message to update",
                            }
                        ]
                    }
                },
            )
        message: dict[str, Any] | None = None
        extra = self._interaction_extra(interaction)
        if kind == 4:
            message = await self._bot_message(
                interaction.channel,
                data,
                req.files,
                type=self._message_type(interaction),
                extra=extra,
            )
        elif kind == 5:
            loading = {"content": "", "flags": LOADING | (int(data.get("flags") or 0) & EPHEMERAL)}
            message = await self._bot_message(
                interaction.channel,
                loading,
                [],
                require_body=False,
                type=self._message_type(interaction),
                extra=extra,
            )
        elif kind == 7:
            target = self.fake.messages.get(interaction.message_id or 0)
            if target is None:
                raise not_found("Message", 10008)
            message = await self._edit(target, data, req.files)
        elif kind == 8:
            _validate_choices(data.get("choices") or [])
            interaction.choices = list(data.get("choices") or [])
        elif kind == 9:
            interaction.modal = data
        interaction.responses.append(body)
        if kind in (4, 5):
            interaction.original_id = int(message["id"]) if message else None
        elif kind in (6, 7):
            interaction.original_id = interaction.message_id
        interaction.original_shown = kind in (4, 5, 7)
        self.fake.notify()
        if req.query.get("with_response") not in ("1", "true", "True"):
            return 204, None
        info: dict[str, Any] = {"id": str(interaction.id), "type": interaction.type}
        result: dict[str, Any] = {"interaction": info}
        if message is not None:
            info.update(
                response_message_id=message["id"],
                response_message_loading=kind == 5,
                response_message_ephemeral=bool(int(message["flags"]) & EPHEMERAL),
            )
            result["resource"] = {"type": kind, "message": message}
        return 200, result

    async def followup(self, req: Req) -> tuple[int, Any]:
        interaction = self._interaction_by_token(req)
        if not interaction.responded:
            raise not_found("Webhook", 10015)
        payload = req.json or {}
        original = self.fake.messages.get(interaction.original_id or 0)
        if original is not None and ix.is_loading(original) and not interaction.followup_ids:
            # Discord: the first followup after a "thinking" defer fills in that message,
            # keeping the defer's ephemeral choice.
            edit = {**payload, "flags": int(original["flags"]) & ~LOADING}
            validate_message(payload, file_count=len(req.files))
            message = await self._edit(original, edit, req.files)
        else:
            message = await self._bot_message(
                interaction.channel,
                payload,
                req.files,
                type=self._message_type(interaction),
                extra=self._interaction_extra(interaction),
            )
            interaction.followup_ids.append(int(message["id"]))
        self.fake.notify()
        if req.query.get("wait") in ("1", "true", "True"):
            return 200, message
        return 204, None

    def _hook_message(self, req: Req) -> tuple[ix.FakeInteraction, dict[str, Any]]:
        interaction = self._interaction_by_token(req)
        raw = req.params["message_id"]
        message_id = interaction.original_id if raw == "@original" else req.id("message_id")
        if message_id is None or message_id not in interaction.message_ids():
            raise not_found("Message", 10008)
        message = self.fake.messages.get(message_id)
        if message is None:
            raise not_found("Message", 10008)
        return interaction, message

    async def get_hook_message(self, req: Req) -> tuple[int, Any]:
        return 200, self._hook_message(req)[1]

    async def edit_hook_message(self, req: Req) -> tuple[int, Any]:
        interaction, message = self._hook_message(req)
        if int(message["id"]) == interaction.original_id:
            interaction.original_shown = True
        payload = dict(req.json or {})
        if ix.is_loading(message):
            payload["flags"] = int(message["flags"]) & ~LOADING
        message = await self._edit(message, payload, req.files)
        self.fake.notify()
        return 200, message

    async def delete_hook_message(self, req: Req) -> tuple[int, Any]:
        _, message = self._hook_message(req)
        await self._delete(message)
        return 204, None


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern))


async def _read_body(request: web.Request) -> tuple[Any, list[UploadedFile]]:
    if not request.can_read_body:
        return None, []
    if request.content_type.startswith("multipart/"):
        payload: Any = None
        files: list[UploadedFile] = []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            data = await part.read()  # type: ignore[union-attr]
            name = part.name or ""  # type: ignore[union-attr]
            if name == "payload_json":
                payload = json.loads(data)
            else:
                files.append(
                    UploadedFile(
                        name,
                        part.filename or name,  # type: ignore[union-attr]
                        part.headers.get("Content-Type", "application/octet-stream"),
                        bytes(data),
                    )
                )
        return payload, files
    text = await request.text()
    return (json.loads(text) if text else None), []


def _validate_choices(choices: list[dict[str, Any]]) -> None:
    """Autocomplete results: at most 25, each name 1-100 characters, string values <= 100."""
    problems: dict[str, Any] = {}
    if len(choices) > 25:
        problems["_errors"] = [
            {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 25 or fewer in length."}
        ]
    for i, choice in enumerate(choices):
        name, value = choice.get("name"), choice.get("value")
        errors: dict[str, Any] = {}
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            errors["name"] = {
                "_errors": [
                    {
                        "code": "BASE_TYPE_BAD_LENGTH",
                        "message": "Must be between 1 and 100 in length.",
                    }
                ]
            }
        if isinstance(value, str) and len(value) > 100:
            errors["value"] = {
                "_errors": [
                    {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 100 or fewer in length."}
                ]
            }
        if errors:
            problems[str(i)] = errors
    if problems:
        raise DiscordHTTPError(400, 50035, "Invalid Form Body", {"data": {"choices": problems}})


def _validate_commands(bodies: list[dict[str, Any]]) -> None:
    """Discord's server-side checks on command definitions (names, lengths, option order)."""
    errors: dict[str, Any] = {}

    def bad(path: list[str | int], message: str) -> None:
        node = errors
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append(
            {"code": "APPLICATION_COMMAND_INVALID", "message": message}
        )

    names = set()
    for i, body in enumerate(bodies):
        kind = body.get("type", 1)
        name = body.get("name") or ""
        if (kind, name) in names:
            bad([i, "name"], "Application command names must be unique")
        names.add((kind, name))
        if kind == 1:
            if not COMMAND_NAME.match(name) or name != name.lower():
                bad([i, "name"], "Command name is invalid")
            if not 1 <= len(body.get("description") or "") <= 100:
                bad([i, "description"], "Must be between 1 and 100 in length.")
            _validate_options(body.get("options") or [], [i, "options"], bad)
        elif not 1 <= len(name) <= 32:
            bad([i, "name"], "Must be between 1 and 32 in length.")
    if errors:
        raise DiscordHTTPError(400, 50035, "Invalid Form Body", errors)


def _validate_options(
    options: list[dict[str, Any]],
    path: list[str | int],
    bad: Callable[[list[str | int], str], None],
) -> None:
    if len(options) > 25:
        bad(path, "Must be 25 or fewer in length.")
    seen_optional = False
    for j, opt in enumerate(options):
        where = [*path, j]
        name = opt.get("name") or ""
        if not COMMAND_NAME.match(name) or name != name.lower():
            bad([*where, "name"], "Command name is invalid")
        if not 1 <= len(opt.get("description") or "") <= 100:
            bad([*where, "description"], "Must be between 1 and 100 in length.")
        if len(opt.get("choices") or []) > 25:
            bad([*where, "choices"], "Must be 25 or fewer in length.")
        if opt.get("type") in (ix.SUB_COMMAND, ix.SUB_COMMAND_GROUP):
            _validate_options(opt.get("options") or [], [*where, "options"], bad)
        elif opt.get("required"):
            if seen_optional:
                bad(
                    [*where, "required"],
                    "Required options must be placed before non-required options",
                )
        else:
            seen_optional = True

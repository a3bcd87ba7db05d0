"""A fake Discord (REST API, gateway websocket, attachment CDN) on 127.0.0.1 for tests.

The real discord.py client talks to it over real sockets; tests inject what users do
(messages, slash commands, button clicks, modal submits) and assert on what the bot sent.
Start with ``fixtures.py`` (the ``fake_discord`` fixture and ``running_client``) and
``server.FakeDiscord`` (the injection and observation API).
"""

from __future__ import annotations

from .interactions import FakeInteraction, is_ephemeral, is_loading
from .messages import button_id, component_labels, message_text
from .model import (
    FakeChannel,
    FakeGuild,
    FakeMember,
    FakeRole,
    FakeUser,
    Overwrite,
    Pings,
    Upload,
)
from .recording import Call, UploadedFile
from .server import FakeDiscord

__all__ = [
    "Call",
    "FakeChannel",
    "FakeDiscord",
    "FakeGuild",
    "FakeInteraction",
    "FakeMember",
    "FakeRole",
    "FakeUser",
    "Overwrite",
    "Pings",
    "Upload",
    "UploadedFile",
    "button_id",
    "component_labels",
    "is_ephemeral",
    "is_loading",
    "message_text",
]

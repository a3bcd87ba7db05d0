"""What the bot says when something fails, and that its buttons go away.

``describe`` as a unit for the discord.py failures it names; the apology and
the logged traceback, and a view's timeout, through the real bot and the fake
Discord.
"""

# ruff: noqa: F811 - the fixtures are imported from test_bot_e2e and taken by name

from __future__ import annotations

import logging
from dataclasses import dataclass

import discord
import pytest
from discord import app_commands
from discord.ext import commands
from sqlalchemy import create_engine, text

from bot.errors import APOLOGY, describe
from bot.views import BotView
from tests.fakediscord import component_labels
from tests.fakediscord.fixtures import fake_discord  # noqa: F401
from tests.test_bot_e2e import (  # noqa: F401 - fixtures
    LIBRARY,
    WAIT,
    World,
    bot,
    world,
)

CHANNEL_PERMISSIONS = (
    "Discord refused me here: I need View Channel, Send Messages, Read Message History "
    "and Embed Links in this channel."
)


@dataclass
class _Response:
    """What discord.py reads from an HTTP reply to build its exception."""

    status: int
    reason: str


def test_describe_forbidden_names_the_channel_permissions():
    forbidden = discord.Forbidden(
        _Response(403, "Forbidden"), {"code": 50013, "message": "Missing Permissions"}
    )
    assert describe(forbidden) == CHANNEL_PERMISSIONS
    # As a command raises it: wrapped by discord.py.
    assert describe(commands.CommandInvokeError(forbidden)) == CHANNEL_PERMISSIONS


@pytest.mark.parametrize(
    ("error", "said"),
    [
        (
            app_commands.MissingPermissions(["manage_messages"]),
            "You need the Manage Messages permission for that.",
        ),
        (
            commands.MissingPermissions(["manage_messages", "embed_links"]),
            "You need the Manage Messages, Embed Links permission for that.",
        ),
        (
            commands.BotMissingPermissions(["embed_links"]),
            "I need the Embed Links permission in this channel.",
        ),
    ],
)
def test_describe_missing_permissions_says_which(error, said):
    assert describe(error) == said


def test_describe_leaves_a_bug_to_the_apology():
    assert describe(commands.CommandInvokeError(ZeroDivisionError("division by zero"))) is None


async def test_an_unexpected_error_gets_the_apology_and_a_logged_traceback(
    world: World, bot, caplog
):
    # A store edited by hand holds a row the engine cannot read back (a date
    # that is no date): a failure nobody planned for, not a database error.
    bot.service.ingest_text(LIBRARY, title="Library reopens")
    engine = create_engine(bot.service.config.database_url)
    with engine.begin() as connection:
        connection.execute(text("UPDATE articles SET added_at = 'soon-ish'"))
    engine.dispose()
    with caplog.at_level(logging.ERROR, logger="bot.client"):
        listing = await world.fake.send_command(world.erin, "articles", {})
        reply = await world.fake.wait_for_reply(listing, timeout=WAIT)
    assert reply["content"] == APOLOGY
    assert "soon-ish" not in reply["content"]
    [record] = [r for r in caplog.records if r.name == "bot.client"]
    assert (
        record.getMessage()
        == f"unexpected error in interaction 'articles' from user {world.erin.id}"
    )
    assert record.exc_info is not None and "soon-ish" in str(record.exc_info[1])


async def test_buttons_go_away_when_a_view_times_out(world: World, bot):
    view = BotView(bot, timeout=0.5)
    view.add_item(discord.ui.Button(label="Next", custom_id="next-page"))
    channel = bot.get_channel(world.general.id)
    view.message = await channel.send("Page 1 of 2", view=view)
    message_id = str(view.message.id)
    assert component_labels(world.fake.message(message_id)) == ["Next"]
    await world.fake.wait_until(
        lambda: not world.fake.message(message_id).get("components"),
        timeout=WAIT,
        what="the buttons to be removed",
    )
    assert world.fake.message(message_id)["content"] == "Page 1 of 2"

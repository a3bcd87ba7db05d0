"""The real bot (discord.py client, cogs, service, SQLite file) against the fake Discord.

Users act through ``tests.fakediscord`` (messages, slash commands, buttons); the tests
assert on what the bot sent back, as a user would see it, and on what got stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import sys
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
import pytest_asyncio

from archivist.settings import BotSettings, Settings
from bot.client import ArchivistBot
from knowledge import Archivist, KnowledgeConfig
from tests._http_server import TestServer, page
from tests.fakediscord import (
    FakeChannel,
    FakeDiscord,
    FakeMember,
    Upload,
    button_id,
    component_labels,
    is_ephemeral,
)
from tests.fakediscord.fixtures import fake_discord, running_client  # noqa: F401

REPO = Path(__file__).resolve().parents[1]
WAIT = 30.0  # safety bound for one reply; the first question loads stemmers and models

FERRY = """Harbour council approves new ferry line

The harbour council of Constanța voted on Tuesday to open a ferry line to Varna. Mayor Elena \
Dobre said the first boat would sail in June. The vote passed eleven to four after a long \
debate about fuel costs.

Critics, led by councillor Mihai Stan, argued the port lacked a proper waiting hall. Dobre \
answered that a temporary hall would be built by May.
"""

ORCHARD_HTML = b"""<!doctype html><html><head><title>Pear orchard wins regional prize</title>
<meta name="date" content="2025-05-04"></head><body><article>
<h1>Pear orchard wins regional prize</h1>
<p>A family orchard near Bistrita won the regional fruit prize on Saturday for its late
autumn pears. The jury praised the orchard for growing old local varieties without
irrigation.</p>
<p>Owner Ioana Rusu said her grandfather planted the first trees in 1962. The orchard now
sells most of its pears at the Sunday market in the town square.</p>
<p>Next year the family plans to open a small cider press for visitors.</p>
</article></body></html>"""

LIBRARY = """The town library reopened after two years of repairs. Librarian Radu Pop said the \
reading room now has a glass roof and room for forty readers. Children's books moved to the \
ground floor so that prams no longer block the stairs."""

MILL = b"""# The old water mill turns again

Volunteers restored the water mill on the Somes river over three summers. The wheel, carved \
from oak by carpenter Vasile Ilie, started turning again in September. Visitors can watch \
flour being ground every Saturday morning.
"""

HOSTILE = """Festival notice for the valley

@everyone is welcome at the lantern festival on the river bank, said the organisers. \
Questions go to <@&{role}> or to <@{user}> before Friday. **Bring** a lantern and warm \
clothes; the lantern parade starts at dusk near the stone bridge.
"""

GLACIER_PARAGRAPH = (
    "Survey team {n} measured the glacier tongue above the lake and found it had retreated "
    "again this summer. The glacier lost ice along its whole front, the surveyors wrote, "
    "and meltwater streams cut new channels through the moraine below the glacier. Their "
    "notes describe cracked ice, grey meltwater and stones falling from the glacier walls.\n\n"
)


# --- harness -----------------------------------------------------------------------------


@dataclass
class World:
    fake: FakeDiscord
    general: FakeChannel
    lobby: FakeChannel  # in another server
    alice: FakeMember  # Editors role: Manage Messages
    bob: FakeMember  # no roles
    erin: FakeMember  # the configured editor role, no special permissions
    carol: FakeMember  # member of the other server only


@pytest.fixture
def world(fake_discord: FakeDiscord) -> World:  # noqa: F811 - the fixture, imported above
    fake = fake_discord
    guild = fake.guild
    archivists = guild.add_role("Archivists")
    erin = guild.add_member(fake.add_user("erin"), roles=[archivists])
    other = fake.add_guild("Other Town")
    lobby = other.add_channel("lobby")
    carol = other.add_member(fake.add_user("carol"))
    return World(
        fake=fake,
        general=guild.channel("general"),
        lobby=lobby,
        alice=guild.member("alice"),
        bob=guild.member("bob"),
        erin=erin,
        carol=carol,
    )


def make_settings(tmp_path: Path, fake: FakeDiscord, **bot: object) -> Settings:
    knowledge = KnowledgeConfig(
        database_url=f"sqlite:///{tmp_path / 'bot.db'}", allow_private_urls=True
    )
    defaults: dict[str, object] = dict(
        token=fake.token, editor_role="Archivists", ask_cooldown=0.0, ingest_cooldown=0.0
    )
    defaults.update(bot)
    return Settings(knowledge=knowledge, bot=BotSettings(**defaults))  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def running_bot(settings: Settings, fake: FakeDiscord) -> AsyncIterator[ArchivistBot]:
    service = Archivist(settings.knowledge)
    try:
        async with running_client(ArchivistBot(settings, service), fake) as bot:
            yield bot  # type: ignore[misc]
    finally:
        service.close()


@pytest_asyncio.fixture
async def bot(world: World, tmp_path: Path) -> AsyncIterator[ArchivistBot]:
    async with running_bot(make_settings(tmp_path, world.fake), world.fake) as running:
        yield running


def guild_of(channel: FakeChannel) -> str:
    return f"guild:{channel.guild_id}"


async def store(bot: ArchivistBot, text: str, channel: FakeChannel, **kw) -> int:
    result = await asyncio.to_thread(
        bot.service.ingest_text, text, collection=guild_of(channel), **kw
    )
    return result.article.id


async def reply_to(world: World, message: dict) -> dict:
    return await world.fake.wait_for_message(
        predicate=lambda m: (m.get("message_reference") or {}).get("message_id") == message["id"],
        timeout=WAIT,
    )


def sent_call(fake: FakeDiscord, message: dict):
    """The recorded REST call that created ``message`` (the bot's request body)."""
    for call in fake.calls:
        created = isinstance(call.response, dict) and call.response.get("id") == message["id"]
        if call.method == "POST" and created:
            return call
    raise AssertionError(f"no recorded call created message {message['id']}")


@pytest.fixture
def orchard_site(http_server) -> TestServer:
    """A real web server on 127.0.0.1 with the orchard article at ``/orchard``."""
    return http_server({"/orchard": page(ORCHARD_HTML)})


# --- asking ------------------------------------------------------------------------------


async def test_prefix_ask_quotes_the_article_with_its_link(world: World, bot: ArchivistBot):
    await store(bot, FERRY, world.general, url="https://news.example/ferry")
    asked = await world.fake.send_message(
        world.general, world.bob, "!ask when will the ferry sail?"
    )
    reply = await reply_to(world, asked)
    content = reply["content"]
    assert "Mayor Elena Dobre said the first boat would **sail** in June." in content
    assert "*Harbour council approves new ferry line*" in content
    assert "(<https://news.example/ferry>)" in content
    assert world.fake.calls_to("POST", rf"/channels/{world.general.id}/typing")
    assert component_labels(reply) == ["More", "Helpful", "Not helpful", "Delete"]


async def test_a_mention_with_a_question_is_answered(world: World, bot: ArchivistBot):
    await store(bot, FERRY, world.general, url="https://news.example/ferry")
    text = f"<@{world.fake.bot_user.id}> who led the critics of the ferry plan?"
    asked = await world.fake.send_message(world.general, world.bob, text)
    reply = await reply_to(world, asked)
    # The question's words are bold in the quote; the name that answers is not one of them.
    assert "**Critics**, **led** by councillor Mihai Stan, argued" in reply["content"]
    assert "news.example/ferry" in reply["content"]


async def test_slash_ask_defers_then_follows_up(world: World, bot: ArchivistBot):
    await store(bot, FERRY, world.general, url="https://news.example/ferry")
    asking = await world.fake.send_command(
        world.bob, "ask", {"question": "when does the ferry sail?"}
    )
    first = await world.fake.wait_for_response(asking, timeout=WAIT)
    assert first["type"] == 5  # "Archivist is thinking…"
    reply = await world.fake.wait_for_reply(asking, timeout=WAIT)
    assert "first boat would **sail** in June" in reply["content"]
    assert not is_ephemeral(reply)


async def test_nothing_relevant_is_said_plainly(world: World, bot: ArchivistBot):
    await store(bot, FERRY, world.general)
    asked = await world.fake.send_message(world.general, world.bob, "!ask chess tournament winner")
    reply = await reply_to(world, asked)
    assert reply["content"].startswith("Nothing relevant stored")
    assert "/ingest" in reply["content"]


async def test_article_text_cannot_ping_anyone(world: World, bot: ArchivistBot):
    editors = world.fake.guild.role("Editors")
    await store(bot, HOSTILE.format(role=editors.id, user=world.alice.id), world.general)
    asked = await world.fake.send_message(world.general, world.bob, "!ask lantern festival parade")
    reply = await reply_to(world, asked)
    content = reply["content"]
    assert "lantern" in content
    assert "@everyone" not in content and f"<@&{editors.id}>" not in content
    assert f"<@{world.alice.id}>" not in content
    call = sent_call(world.fake, reply)
    allowed = call.json["allowed_mentions"]
    assert allowed["parse"] == [] and not allowed.get("users") and not allowed.get("roles")
    assert not allowed.get("replied_user")
    assert not world.fake.pings(reply)


async def test_long_answers_stay_within_limits_and_page_with_more(world: World, tmp_path: Path):
    settings = make_settings(tmp_path, world.fake)
    settings = replace(settings, knowledge=replace(settings.knowledge, top_k=8))
    async with running_bot(settings, world.fake) as bot:
        for n in range(12):
            body = "".join(GLACIER_PARAGRAPH.format(n=f"{n}-{i}") for i in range(3))
            await store(bot, f"Glacier survey {n}\n\n{body}", world.general)
        asked = await world.fake.send_message(
            world.general, world.bob, "!ask how far did the glacier retreat?"
        )
        reply = await reply_to(world, asked)
        first_page = reply["content"]
        assert len(first_page) <= 2000
        assert "**More** shows the next" in first_page
        more = button_id(reply, "More")
        pressed = await world.fake.click(world.bob, reply, more)
        await world.fake.wait_for_response(pressed, timeout=WAIT)
        await world.fake.wait_until(
            lambda: world.fake.message(reply["id"])["content"] != first_page, timeout=WAIT
        )
        second_page = world.fake.message(reply["id"])["content"]
        assert len(second_page) <= 2000
        first_n = re.search(r"Excerpts? 1(?:–(\d+))? of (\d+)", first_page)
        assert first_n is not None
        shown = int(first_n.group(1) or 1)
        assert re.search(rf"Excerpts? {shown + 1}(?:–\d+)? of", second_page)

        paged = await world.fake.send_command(
            world.bob, "ask", {"question": "how far did the glacier retreat?", "page": 2}
        )
        page_two = await world.fake.wait_for_reply(paged, timeout=WAIT)
        assert re.search(r"Excerpts? 9(?:–\d+)? of", page_two["content"])


async def test_help_usage_and_unusable_questions(world: World, bot: ArchivistBot):
    await world.fake.send_message(world.general, world.bob, "!help")
    help_text = (await world.fake.wait_for_message(world.general, timeout=WAIT))["content"]
    assert "ask" in help_text and "ingest" in help_text and "/articles" in help_text
    bare = await world.fake.send_message(world.general, world.bob, "!ask")
    assert (await reply_to(world, bare))["content"] == "Usage: `!ask <question>`"
    common = await world.fake.send_message(world.general, world.bob, "!ask the of and")
    assert "only common words" in (await reply_to(world, common))["content"]
    mention = await world.fake.send_message(
        world.general, world.bob, f"<@{world.fake.bot_user.id}>"
    )
    assert (await reply_to(world, mention))["content"].startswith("Ask me something")


async def test_direct_messages_search_the_shared_collection(world: World, bot: ArchivistBot):
    await asyncio.to_thread(bot.service.ingest_text, FERRY, collection="global")
    await store(bot, LIBRARY, world.general, title="Library reopens")
    ferry = await world.fake.send_dm(world.bob, "!ask when does the ferry sail?")
    assert "first boat would **sail** in June" in (await reply_to(world, ferry))["content"]
    library = await world.fake.send_dm(world.bob, "!ask library glass roof")
    assert (await reply_to(world, library))["content"].startswith("Nothing relevant stored")


async def test_the_example_articles_are_never_shown_on_discord(world: World, bot: ArchivistBot):
    await asyncio.to_thread(bot.service.load_examples)  # as `archivist ask` does on a new store
    for asked in (
        await world.fake.send_message(world.general, world.bob, "!ask who met Kim and where"),
        await world.fake.send_dm(world.bob, "!ask who met Kim and where"),
    ):
        reply = await reply_to(world, asked)
        assert reply["content"].startswith("Nothing relevant stored"), reply["content"]


async def test_direct_messages_can_be_turned_off(world: World, tmp_path: Path):
    settings = make_settings(tmp_path, world.fake, allow_dms=False)
    async with running_bot(settings, world.fake):
        asked = await world.fake.send_dm(world.bob, "!ask ferry")
        reply = await reply_to(world, asked)
    assert reply["content"].startswith("I don't answer in direct messages here")


async def test_channel_allow_list(world: World, tmp_path: Path):
    staff = world.fake.guild.channel("staff")
    settings = make_settings(tmp_path, world.fake, allowed_channels=frozenset({world.general.id}))
    async with running_bot(settings, world.fake) as bot:
        await store(bot, FERRY, world.general)
        await world.fake.send_message(staff, world.alice, "!ask ferry to Varna")
        slash = await world.fake.send_command(
            world.alice, "ask", {"question": "ferry to Varna"}, channel=staff
        )
        refusal = await world.fake.wait_for_reply(slash, timeout=WAIT)
        assert refusal["content"] == f"I answer only in <#{world.general.id}>."
        assert is_ephemeral(refusal)
        here = await world.fake.send_message(world.general, world.alice, "!ask ferry to Varna")
        assert "Varna" in (await reply_to(world, here))["content"]
    # The text command in #staff was ignored: the only bot message there is the refusal.
    assert [m["id"] for m in world.fake.bot_messages(staff)] == [refusal["id"]]


# --- deleting answers -------------------------------------------------------------------


async def test_only_the_asker_or_a_moderator_deletes_an_answer(world: World, bot: ArchivistBot):
    await store(bot, FERRY, world.general)
    asked = await world.fake.send_message(world.general, world.bob, "!ask ferry to Varna")
    reply = await reply_to(world, asked)
    delete = button_id(reply, "Delete")

    intruder = await world.fake.click(world.erin, reply, delete)
    refusal = await world.fake.wait_for_reply(intruder, timeout=WAIT)
    assert is_ephemeral(refusal) and "Only the person who asked" in refusal["content"]
    assert world.fake.message(reply["id"]) is not None

    own = await world.fake.click(world.bob, reply, delete)
    await world.fake.wait_for_response(own, timeout=WAIT)
    await world.fake.wait_until(lambda: world.fake.message(reply["id"]) is None, timeout=WAIT)


async def test_delete_answer_message_command(world: World, bot: ArchivistBot):
    await store(bot, FERRY, world.general)
    asking = await world.fake.send_command(world.bob, "ask", {"question": "ferry to Varna"})
    reply = await world.fake.wait_for_reply(asking, timeout=WAIT)

    refused = await world.fake.send_message_command(world.erin, "Delete answer", reply)
    refusal = await world.fake.wait_for_reply(refused, timeout=WAIT)
    assert is_ephemeral(refusal) and "Only the person who asked" in refusal["content"]

    moderator = await world.fake.send_message_command(world.alice, "Delete answer", reply)
    done = await world.fake.wait_for_reply(moderator, timeout=WAIT)
    assert done["content"] == "Deleted."
    assert world.fake.message(reply["id"]) is None


# --- ingesting ---------------------------------------------------------------------------


async def test_slash_ingest_url_then_ask(world: World, bot: ArchivistBot, orchard_site):
    url = orchard_site.url("/orchard")
    ingesting = await world.fake.send_command(world.erin, "ingest", {"url": url})
    reply = await world.fake.wait_for_reply(ingesting, timeout=WAIT)
    assert orchard_site.paths() == ["/orchard"]
    assert re.fullmatch(
        r"Stored #\d+ “Pear orchard wins regional prize” \(2025-05-04, en, \d+ passages?\)",
        reply["content"],
    ), reply["content"]
    asked = await world.fake.send_message(
        world.general, world.bob, "!ask who planted the pear trees?"
    )
    answer = await reply_to(world, asked)
    assert "grandfather" in answer["content"] and url in answer["content"]


async def test_slash_ingest_url_takes_a_title_date_and_author(
    world: World, bot: ArchivistBot, orchard_site
):
    ingesting = await world.fake.send_command(
        world.erin,
        "ingest",
        {
            "url": orchard_site.url("/orchard"),
            "title": "Bistrita pears win",
            "date": "2025-05-03",
            "author": "Farm Desk",
        },
    )
    reply = await world.fake.wait_for_reply(ingesting, timeout=WAIT)
    assert re.fullmatch(
        r"Stored #\d+ “Bistrita pears win” \(2025-05-03, en, \d+ passages?\)", reply["content"]
    ), reply["content"]


async def test_slash_ingest_text_records_who_and_where(world: World, bot: ArchivistBot):
    ingesting = await world.fake.send_command(
        world.erin, "ingest", {"text": LIBRARY, "title": "Library reopens"}
    )
    reply = await world.fake.wait_for_reply(ingesting, timeout=WAIT)
    article_id = int(re.match(r"Stored #(\d+) “Library reopens”", reply["content"]).group(1))

    shown = await world.fake.send_command(world.bob, "article", {"id": article_id})
    detail = await world.fake.wait_for_reply(shown, timeout=WAIT)
    fields = {f["name"]: f["value"] for f in detail["embeds"][0]["fields"]}
    assert fields["Added by"] == f"erin ({world.erin.id})"
    assert fields["Added"].startswith("<t:")
    jump = f"https://discord.com/channels/{world.general.guild_id}/{world.general.id}/{reply['id']}"
    assert fields["Source"] == f"[message](<{jump}>)"

    asked = await world.fake.send_message(world.general, world.bob, "!ask glass roof reading room")
    answer = await reply_to(world, asked)
    assert "glass roof" in answer["content"] and jump in answer["content"]


async def test_slash_ingest_file_attachment(world: World, bot: ArchivistBot):
    ingesting = await world.fake.send_command(
        world.alice, "ingest", {"file": Upload("mill.md", MILL, "text/markdown")}
    )
    reply = await world.fake.wait_for_reply(ingesting, timeout=WAIT)
    assert reply["content"].startswith("Stored #") and "water mill" in reply["content"]
    assert world.fake.calls_to("GET", r"/attachments/.*")  # downloaded from the CDN


async def test_prefix_ingest_attachment_links_the_message(world: World, bot: ArchivistBot):
    posted = await world.fake.send_message(
        world.general, world.erin, "!ingest", attachments=[("mill.md", MILL, "text/markdown")]
    )
    reply = await reply_to(world, posted)
    article_id = int(re.match(r"Stored #(\d+)", reply["content"]).group(1))
    detail = await asyncio.to_thread(
        bot.service.get_article, article_id, collections=[guild_of(world.general)]
    )
    jump = (
        f"https://discord.com/channels/{world.general.guild_id}/{world.general.id}/{posted['id']}"
    )
    assert detail.summary.source_ref == jump
    assert detail.summary.added_by == f"erin ({world.erin.id})"


async def test_duplicate_ingest_says_already_stored(world: World, bot: ArchivistBot):
    first = await world.fake.send_command(
        world.erin, "ingest", {"text": LIBRARY, "title": "Library reopens"}
    )
    stored = await world.fake.wait_for_reply(first, timeout=WAIT)
    article_id = re.match(r"Stored #(\d+)", stored["content"]).group(1)
    again = await world.fake.send_command(
        world.alice, "ingest", {"text": LIBRARY, "title": "Library reopens"}
    )
    reply = await world.fake.wait_for_reply(again, timeout=WAIT)
    assert reply["content"] == f"Already stored as #{article_id} “Library reopens”."


async def test_ingest_refused_without_the_role(world: World, bot: ArchivistBot, orchard_site):
    needed = "You need the Archivists role or the Manage Messages permission to ingest."
    url = orchard_site.url("/orchard")
    slash = await world.fake.send_command(world.bob, "ingest", {"url": url})
    refusal = await world.fake.wait_for_reply(slash, timeout=WAIT)
    assert refusal["content"] == needed and is_ephemeral(refusal)
    posted = await world.fake.send_message(world.general, world.bob, f"!ingest {url}")
    reply = await reply_to(world, posted)
    assert reply["content"] == needed
    assert orchard_site.requests == []
    count = await asyncio.to_thread(
        bot.service.count_articles, collections=[guild_of(world.general)]
    )
    assert count == 0


async def test_ingest_needs_exactly_one_source(world: World, bot: ArchivistBot):
    both = await world.fake.send_command(
        world.erin, "ingest", {"text": LIBRARY, "url": "https://example.org/x"}
    )
    refusal = await world.fake.wait_for_reply(both, timeout=WAIT)
    assert refusal["content"] == "Give exactly one of `url`, `text` or `file`."


async def test_oversized_and_unsupported_files_are_refused_before_download(
    world: World, tmp_path: Path
):
    settings = make_settings(tmp_path, world.fake)
    settings = replace(settings, knowledge=replace(settings.knowledge, max_document_bytes=100))
    async with running_bot(settings, world.fake):
        big = await world.fake.send_command(
            world.erin, "ingest", {"file": Upload("big.txt", b"word " * 100)}
        )
        reply = await world.fake.wait_for_reply(big, timeout=WAIT)
        assert reply["content"] == "“big.txt” is 500 bytes; the limit is 100 bytes."
        pdf = await world.fake.send_command(
            world.erin, "ingest", {"file": Upload("paper.pdf", b"%PDF")}
        )
        reply = await world.fake.wait_for_reply(pdf, timeout=WAIT)
        assert "not a file I read" in reply["content"]
    assert not world.fake.calls_to("GET", r"/attachments/.*")


async def test_each_server_sees_only_its_own_articles(world: World, bot: ArchivistBot):
    stored = await world.fake.send_command(
        world.erin, "ingest", {"text": LIBRARY, "title": "Library reopens"}
    )
    await world.fake.wait_for_reply(stored, timeout=WAIT)
    elsewhere = await world.fake.send_message(world.lobby, world.carol, "!ask library glass roof")
    reply = await reply_to(world, elsewhere)
    assert reply["content"].startswith("Nothing relevant stored")
    here = await world.fake.send_message(world.general, world.bob, "!ask library glass roof")
    assert "glass roof" in (await reply_to(world, here))["content"]


async def test_cooldown_says_when_to_try_again(world: World, tmp_path: Path):
    settings = make_settings(tmp_path, world.fake, ask_cooldown=60.0)
    async with running_bot(settings, world.fake) as bot:
        await store(bot, FERRY, world.general)
        first = await world.fake.send_message(world.general, world.bob, "!ask ferry to Varna")
        await reply_to(world, first)
        second = await world.fake.send_message(world.general, world.bob, "!ask ferry to Varna")
        reply = await reply_to(world, second)
        assert re.fullmatch(r"Try again in \d+ s\.", reply["content"])


async def test_browse_list_stats_and_remove(world: World, bot: ArchivistBot):
    article_id = await store(bot, FERRY, world.general)
    listing = await world.fake.send_command(world.bob, "articles", {})
    page = await world.fake.wait_for_reply(listing, timeout=WAIT)
    assert (
        f"`#{article_id}` **Harbour council approves new ferry line**"
        in page["embeds"][0]["description"]
    )
    stats = await world.fake.wait_for_reply(
        await world.fake.send_command(world.bob, "stats", {}), timeout=WAIT
    )
    assert {f["name"]: f["value"] for f in stats["embeds"][0]["fields"]}["Articles"] == "1"

    refused = await world.fake.send_command(world.bob, "remove", {"id": article_id})
    refusal = await world.fake.wait_for_reply(refused, timeout=WAIT)
    assert (
        "Archivists role or the Manage Messages permission to remove articles" in refusal["content"]
    )
    removing = await world.fake.send_command(world.erin, "remove", {"id": article_id})
    done = await world.fake.wait_for_reply(removing, timeout=WAIT)
    assert done["content"] == f"Removed #{article_id} “Harbour council approves new ferry line”."
    missing = await world.fake.send_command(world.bob, "article", {"id": article_id})
    reply = await world.fake.wait_for_reply(missing, timeout=WAIT)
    assert reply["content"] == f"There is no article #{article_id} here."


async def test_article_list_pages_with_buttons(world: World, bot: ArchivistBot):
    for n in range(12):
        await store(
            bot, f"Bulletin {n}\n\nThe parish bulletin number {n} lists the fair.", world.general
        )
    listing = await world.fake.send_command(world.bob, "articles", {})
    page = await world.fake.wait_for_reply(listing, timeout=WAIT)
    assert is_ephemeral(page)
    assert page["embeds"][0]["footer"]["text"].startswith("Page 1 of 2")
    assert page["embeds"][0]["description"].count("`#") == 10
    next_id = button_id(page, "Next")
    pressed = await world.fake.click(world.bob, page, next_id)
    await world.fake.wait_for_response(pressed, timeout=WAIT)
    await world.fake.wait_until(
        lambda: world.fake.message(page["id"])["embeds"][0]["footer"]["text"].startswith("Page 2"),
        timeout=WAIT,
    )
    assert world.fake.message(page["id"])["embeds"][0]["description"].count("`#") == 2


# --- running as a process -----------------------------------------------------------------


def bot_env(tmp_path: Path, fake: FakeDiscord, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "ARCHIVIST_"))}
    env.update(
        PYTHONPATH=str(REPO),
        DISCORD_TOKEN=fake.token,
        DISCORD_API_BASE=fake.api_base,
        DATABASE_URL=f"sqlite:///{tmp_path / 'proc.db'}",
        ARCHIVIST_ALLOW_PRIVATE_URLS="true",
        ARCHIVIST_EDITOR_ROLE="Archivists",
        ARCHIVIST_INGEST_COOLDOWN="0",
        LOG_LEVEL="INFO",
    )
    env.update(extra)
    return env


async def start_bot_process(tmp_path: Path, env: dict[str, str]) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot",
        cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip


async def read_until(stream: asyncio.StreamReader, text: str, lines: list[str]) -> None:
    """Read lines into ``lines`` until one holds ``text``."""
    while True:
        line = (await asyncio.wait_for(stream.readline(), WAIT)).decode()
        if not line:
            raise AssertionError(f"the output ended before {text!r}:\n" + "".join(lines))
        lines.append(line)
        if text in line:
            return


async def test_sigterm_lets_an_ingest_finish_then_stops_cleanly(
    world: World, tmp_path: Path, http_server
):
    fake = world.fake
    # The page is held back until the bot has logged the signal: the stop lands mid-ingest.
    fetched, release = threading.Event(), threading.Event()

    def held_page(handler) -> None:
        fetched.set()
        release.wait(WAIT)
        page(ORCHARD_HTML)(handler)

    site = http_server({"/orchard": held_page})
    process = await start_bot_process(tmp_path, bot_env(tmp_path, fake))
    log: list[str] = []
    try:
        await fake.wait_until(lambda: fake.commands, timeout=WAIT, what="slash commands synced")
        await fake.wait_until(lambda: fake.gateway.connected, timeout=WAIT, what="the gateway")
        ingesting = await fake.send_command(world.erin, "ingest", {"url": site.url("/orchard")})
        assert await asyncio.to_thread(fetched.wait, WAIT), "the bot never fetched the page"
        process.send_signal(signal.SIGTERM)
        await read_until(process.stdout, "SIGTERM received", log)
        release.set()
        reply = await fake.wait_for_reply(ingesting, timeout=WAIT)
        stdout, stderr = await asyncio.wait_for(process.communicate(), WAIT)
    finally:
        release.set()
        if process.returncode is None:
            process.kill()
            await process.wait()
    log_text = "".join(log) + stdout.decode()
    assert process.returncode == 0, stderr.decode() + log_text
    assert reply["content"].startswith("Stored #1 “Pear orchard wins regional prize”")
    assert "stopped cleanly" in log_text
    assert "Traceback" not in log_text + stderr.decode()
    collections = [guild_of(world.general)]
    with Archivist(KnowledgeConfig(database_url=f"sqlite:///{tmp_path / 'proc.db'}")) as archive:
        # The whole article or nothing: every passage it counts is stored and answers.
        [article] = archive.list_articles(collections=collections)
        assert archive.stats(collections=collections).passages == article.passage_count > 0
        answer = archive.ask("who planted the first pear trees?", collections=collections)
        assert any("grandfather" in e.quote for e in answer.excerpts)


async def test_rejected_token_is_one_line_and_exit_1(world: World, tmp_path: Path):
    env = bot_env(tmp_path, world.fake, DISCORD_TOKEN="not-the-token")
    process = await start_bot_process(tmp_path, env)
    _stdout, stderr = await asyncio.wait_for(process.communicate(), WAIT)
    assert process.returncode == 1
    lines = stderr.decode().strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("archivist: Discord rejected DISCORD_TOKEN")


async def test_message_content_intent_off_is_one_line_and_exit_1(tmp_path: Path):
    async with FakeDiscord(allowed_privileged_intents=0) as fake:
        fake.add_guild("Quiet Server")
        process = await start_bot_process(tmp_path, bot_env(tmp_path, fake))
        _stdout, stderr = await asyncio.wait_for(process.communicate(), WAIT)
    assert process.returncode == 1
    lines = stderr.decode().strip().splitlines()
    assert len(lines) == 1 and "Message Content intent" in lines[0]


async def test_missing_token_is_one_line_and_exit_2(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env.update(PYTHONPATH=str(REPO))
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _stdout, stderr = await asyncio.wait_for(process.communicate(), WAIT)
    assert process.returncode == 2
    assert stderr.decode().strip() == (
        "archivist: DISCORD_TOKEN is not set; put it in .env or the environment"
    )


def test_cooldown_is_per_user_and_bounded():
    from bot.checks import Cooldown
    from bot.errors import Refused

    cooldown = Cooldown(10.0, max_users=100)
    cooldown.hit(1, now=0.0)
    with pytest.raises(Refused, match=r"^Try again in 8 s\.$"):
        cooldown.hit(1, now=2.5)
    cooldown.hit(2, now=2.5)  # someone else is not held back
    cooldown.hit(1, now=10.0)
    for user in range(1000, 2000):
        cooldown.hit(user, now=11.0)
    assert len(cooldown) <= 100

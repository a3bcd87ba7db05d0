"""Votes, /gaps, /forget-me, ingest channels, the message menus and autocomplete: the real
bot against the fake Discord, asserting what members see and what got stored."""

# The `world` and `bot` fixtures come from test_bot_e2e; tests take them by name.
# ruff: noqa: F811

from __future__ import annotations

import asyncio
import re
from dataclasses import replace
from pathlib import Path

from sqlalchemy import create_engine, text

from archivist.settings import Settings
from bot.client import ArchivistBot
from tests.fakediscord import button_id, component_labels, is_ephemeral
from tests.fakediscord.fixtures import fake_discord  # noqa: F401
from tests.test_bot_e2e import (  # noqa: F401 - fixtures
    FERRY,
    LIBRARY,
    MILL,
    WAIT,
    World,
    bot,
    guild_of,
    make_settings,
    orchard_site,
    reply_to,
    running_bot,
    store,
    world,
)

CHECK = "\N{WHITE HEAVY CHECK MARK}"
REPEAT = "\N{CLOCKWISE RIGHTWARDS AND LEFTWARDS OPEN CIRCLE ARROWS}"


def table(settings_or_bot: Settings | ArchivistBot, name: str) -> list:
    settings = (
        settings_or_bot if isinstance(settings_or_bot, Settings) else settings_or_bot.settings
    )
    engine = create_engine(settings.knowledge.database_url)
    try:
        with engine.connect() as connection:
            return list(connection.execute(text(f"SELECT * FROM {name} ORDER BY id")))
    finally:
        engine.dispose()


async def press(world: World, who, message: dict, label: str, **kw) -> dict:
    clicked = await world.fake.click(who, message, button_id(message, label), **kw)
    return await world.fake.wait_for_reply(clicked, timeout=WAIT)


# --- feedback on answers -------------------------------------------------------------------


async def test_a_vote_is_private_stored_once_and_can_be_changed(world: World, bot: ArchivistBot):
    article = await store(bot, FERRY, world.general)
    asked = await world.fake.send_message(
        world.general, world.bob, "!ask when will the ferry sail?"
    )
    answer = await reply_to(world, asked)
    assert component_labels(answer) == ["More", "Helpful", "Not helpful", "Delete"]
    before = dict(world.fake.message(answer["id"]))

    thanks = await press(world, world.bob, answer, "Helpful")
    assert thanks["content"] == "Thanks! Marked as helpful." and is_ephemeral(thanks)
    pairs = await asyncio.to_thread(
        bot.service.helpful_pairs, collections=[guild_of(world.general)]
    )
    assert pairs and {(p.question, p.article_id) for p in pairs} == {
        ("when will the ferry sail?", article)
    }

    changed = await press(world, world.bob, answer, "Not helpful")
    assert changed["content"] == "Changed your vote to not helpful. Thanks!"
    assert is_ephemeral(changed)
    votes = table(bot, "votes")
    assert [(v.user_id, v.helpful, v.collection, v.answer_ref) for v in votes] == [
        (str(world.bob.id), False, guild_of(world.general), answer["id"])
    ]
    assert votes[0].question == "when will the ferry sail?"
    assert f"[{article}, " in votes[0].excerpts

    # Nobody else saw anything change on the answer.
    assert world.fake.message(answer["id"])["content"] == before["content"]
    assert world.fake.message(answer["id"])["components"] == before["components"]
    assert not world.fake.calls_to("PATCH", rf"/channels/\d+/messages/{answer['id']}")


async def test_an_answer_cannot_be_voted_on_from_another_server(world: World, bot: ArchivistBot):
    await store(bot, FERRY, world.general)
    asked = await world.fake.send_message(world.general, world.bob, "!ask ferry to Varna")
    answer = await reply_to(world, asked)
    refusal = await press(world, world.carol, answer, "Helpful", channel=world.lobby)
    assert refusal["content"] == "You can rate an answer only in the server where it was given."
    assert is_ephemeral(refusal)
    assert table(bot, "votes") == []


# --- the questions nobody could answer -----------------------------------------------------


async def test_unanswered_questions_are_listed_by_gaps_for_editors_only(
    world: World, bot: ArchivistBot
):
    await store(bot, FERRY, world.general)
    for question in ("!ask chess tournament winner", "!ask Chess tournament winner?"):
        asked = await world.fake.send_message(world.general, world.bob, question)
        assert (await reply_to(world, asked))["content"].startswith("Nothing relevant stored")
    slash = await world.fake.send_command(
        world.alice, "ask", {"question": "chess  tournament winner"}
    )
    await world.fake.wait_for_reply(slash, timeout=WAIT)
    elsewhere = await world.fake.send_message(world.lobby, world.carol, "!ask lobby opening hours")
    await reply_to(world, elsewhere)

    refused = await world.fake.send_command(world.bob, "gaps", {})
    refusal = await world.fake.wait_for_reply(refused, timeout=WAIT)
    assert refusal["content"] == (
        "You need the Archivists role or the Manage Messages permission to see unanswered "
        "questions."
    )
    assert is_ephemeral(refusal)

    listing = await world.fake.send_command(world.erin, "gaps", {"days": 7})
    page = await world.fake.wait_for_reply(listing, timeout=WAIT)
    assert is_ephemeral(page)
    embed = page["embeds"][0]
    assert embed["title"] == "Questions nobody could answer in the last 7 days (1)"
    assert re.match(
        r"\*\*3×\*\* “[Cc]hess tournament winner\??” · 3 unanswered · last <t:\d+:R>",
        embed["description"],
    )
    assert "lobby" not in embed["description"]
    assert [r.user_id for r in table(bot, "asked_questions")].count(str(world.bob.id)) == 2


async def test_gaps_page_through_many_questions(world: World, bot: ArchivistBot):
    for n in range(13):
        await asyncio.to_thread(
            bot.service.record_unanswered,
            f"question number {n} about {'abcdefghijklm'[n] * 6}",
            collection=guild_of(world.general),
            user_id="1",
        )
    listing = await world.fake.send_command(world.alice, "gaps", {})
    page = await world.fake.wait_for_reply(listing, timeout=WAIT)
    assert page["embeds"][0]["footer"]["text"].startswith("Page 1 of 2")
    assert page["embeds"][0]["description"].count("**1×**") == 10
    pressed = await world.fake.click(world.alice, page, button_id(page, "Next"))
    await world.fake.wait_for_response(pressed, timeout=WAIT)
    await world.fake.wait_until(
        lambda: world.fake.message(page["id"])["embeds"][0]["footer"]["text"].startswith("Page 2"),
        timeout=WAIT,
    )
    assert world.fake.message(page["id"])["embeds"][0]["description"].count("**1×**") == 3


async def test_question_logging_off_keeps_nothing_and_shows_no_votes(world: World, tmp_path: Path):
    settings = make_settings(tmp_path, world.fake)
    settings = replace(settings, knowledge=replace(settings.knowledge, log_questions=False))
    async with running_bot(settings, world.fake) as running:
        await store(running, FERRY, world.general)
        answered = await world.fake.send_message(world.general, world.bob, "!ask ferry to Varna")
        assert component_labels(await reply_to(world, answered)) == ["More", "Delete"]
        missed = await world.fake.send_message(world.general, world.bob, "!ask chess winner")
        await reply_to(world, missed)
        listing = await world.fake.send_command(world.alice, "gaps", {})
        page = await world.fake.wait_for_reply(listing, timeout=WAIT)
    assert "Question logging is off" in page["embeds"][0]["description"]
    assert table(settings, "asked_questions") == [] and table(settings, "votes") == []


async def test_forget_me_removes_exactly_that_members_rows(world: World, bot: ArchivistBot):
    await store(bot, FERRY, world.general)
    for who in (world.bob, world.alice):
        asked = await world.fake.send_message(world.general, who, "!ask chess winner")
        await reply_to(world, asked)
        answered = await world.fake.send_message(world.general, who, "!ask ferry to Varna")
        await press(world, who, await reply_to(world, answered), "Helpful")
    elsewhere = await world.fake.send_dm(world.bob, "!ask chess winner")
    await reply_to(world, elsewhere)
    assert len(table(bot, "asked_questions")) == 3 and len(table(bot, "votes")) == 2

    forgetting = await world.fake.send_command(world.bob, "forget-me", {})
    done = await world.fake.wait_for_reply(forgetting, timeout=WAIT)
    assert done["content"] == "Deleted 2 questions and 1 vote of yours, in every server."
    assert is_ephemeral(done)
    assert [r.user_id for r in table(bot, "asked_questions")] == [str(world.alice.id)]
    assert [r.user_id for r in table(bot, "votes")] == [str(world.alice.id)]
    again = await world.fake.send_command(world.bob, "forget-me", {})
    assert (await world.fake.wait_for_reply(again, timeout=WAIT))["content"] == (
        "I keep no questions or votes of yours."
    )


# --- ingest channels and Store in Archivist --------------------------------------------------


async def test_an_ingest_channel_stores_an_editors_links_and_files(
    world: World, tmp_path: Path, orchard_site
):
    fake = world.fake
    settings = make_settings(tmp_path, fake, ingest_channels=frozenset({world.general.id}))
    async with running_bot(settings, fake) as running:
        base = orchard_site.base_url
        chat = await fake.send_message(world.general, world.bob, f"look: {base}/orchard")
        talk = await fake.send_message(world.general, world.erin, "no link here, just talk")
        posted = await fake.send_message(world.general, world.erin, f"<{base}/orchard>")
        stored = await reply_to(world, posted)
        assert re.fullmatch(
            r"Stored #(\d+) “Pear orchard wins regional prize” \(2025-05-04, en, \d+ passages?\)",
            stored["content"],
        ), stored["content"]
        await fake.wait_until(lambda: fake.reactions.get(int(posted["id"])))
        assert fake.reactions[int(posted["id"])] == [CHECK]

        again = await fake.send_message(world.general, world.alice, f"{base}/orchard again")
        await fake.wait_until(lambda: fake.reactions.get(int(again["id"])), timeout=WAIT)
        assert fake.reactions[int(again["id"])] == [REPEAT]

        missing = await fake.send_message(world.general, world.erin, f"{base}/gone")
        refusal = await reply_to(world, missing)
        assert "404" in refusal["content"] and "\n" not in refusal["content"]
        assert not fake.reactions.get(int(missing["id"]))

        filed = await fake.send_message(
            world.general, world.erin, "", attachments=[("mill.md", MILL, "text/markdown")]
        )
        assert (await reply_to(world, filed))["content"].startswith("Stored #")
        # Bob's link was never fetched: he is no editor.
        assert orchard_site.paths() == ["/orchard", "/orchard", "/gone"]
        count = await asyncio.to_thread(
            running.service.count_articles, collections=[guild_of(world.general)]
        )
    assert count == 2
    replied_to = {(m.get("message_reference") or {}).get("message_id") for m in fake.bot_messages()}
    assert chat["id"] not in replied_to and talk["id"] not in replied_to
    assert again["id"] not in replied_to  # a duplicate gets only 🔁
    assert int(chat["id"]) not in fake.reactions


async def test_store_in_archivist_menu_is_for_editors(world: World, bot: ArchivistBot):
    posted = await world.fake.send_message(
        world.general, world.bob, "notes", attachments=[("mill.md", MILL, "text/markdown")]
    )
    refused = await world.fake.send_message_command(world.bob, "Store in Archivist", posted)
    refusal = await world.fake.wait_for_reply(refused, timeout=WAIT)
    assert refusal["content"] == (
        "You need the Archivists role or the Manage Messages permission to ingest."
    )
    storing = await world.fake.send_message_command(world.erin, "Store in Archivist", posted)
    reply = await world.fake.wait_for_reply(storing, timeout=WAIT)
    article_id = int(re.match(r"Stored #(\d+) “The old water mill", reply["content"]).group(1))
    detail = await asyncio.to_thread(
        bot.service.get_article, article_id, collections=[guild_of(world.general)]
    )
    assert detail.summary.added_by == f"erin ({world.erin.id})"
    assert detail.summary.source_ref.endswith(f"/{world.general.id}/{posted['id']}")

    plain = await world.fake.send_message(world.general, world.bob, "nothing to store")
    empty = await world.fake.send_message_command(world.erin, "Store in Archivist", plain)
    assert (await world.fake.wait_for_reply(empty, timeout=WAIT))["content"] == (
        "That message has no link or .txt, .md, .html or .jsonl file to store."
    )


# --- Ask Archivist ---------------------------------------------------------------------------


async def test_ask_archivist_answers_about_a_message_privately(world: World, bot: ArchivistBot):
    await store(bot, FERRY, world.general)
    said = await world.fake.send_message(
        world.general, world.bob, f"<@{world.alice.id}> when will the first boat sail?"
    )
    asking = await world.fake.send_message_command(world.alice, "Ask Archivist", said)
    first = await world.fake.wait_for_response(asking, timeout=WAIT)
    assert first["type"] == 5 and first["data"]["flags"] & 64
    answer = await world.fake.wait_for_reply(asking, timeout=WAIT)
    assert is_ephemeral(answer)
    assert "Mayor Elena Dobre said the **first boat** would **sail** in June" in answer["content"]
    assert component_labels(answer) == ["More", "Helpful", "Not helpful"]
    assert not world.fake.pings(answer)

    thanks = await press(world, world.alice, answer, "Helpful")
    assert thanks["content"] == "Thanks! Marked as helpful."
    assert [v.user_id for v in table(bot, "votes")] == [str(world.alice.id)]

    blank = await world.fake.send_message(world.general, world.bob, f"<@{world.alice.id}>")
    nothing = await world.fake.send_message_command(world.alice, "Ask Archivist", blank)
    assert (await world.fake.wait_for_reply(nothing, timeout=WAIT))["content"] == (
        "That message has no text to ask about."
    )


# --- autocomplete ----------------------------------------------------------------------------


async def test_article_and_remove_autocomplete_titles(world: World, bot: ArchivistBot):
    home = [
        await store(
            bot,
            f"Parish bulletin {n}\n\nThe parish bulletin number {n} lists the fair.",
            world.general,
            date=f"2025-01-{n + 1:02d}",
        )
        for n in range(27)
    ]
    shared = (
        await asyncio.to_thread(bot.service.ingest_text, FERRY, collection="global")
    ).article.id
    long_title = "Library " + "very " * 60 + "long title"
    library = await store(bot, LIBRARY, world.general, title=long_title)
    lobby = (
        await asyncio.to_thread(
            bot.service.ingest_text,
            "Ferry harbour notes\n\nThe harbour ferry runs daily.",
            collection=guild_of(world.lobby),
        )
    ).article.id

    async def suggest(who, command: str, typed: str) -> list[dict]:
        typing = await world.fake.send_autocomplete(who, command, {"id": typed}, focused="id")
        response = await world.fake.wait_for_response(typing, timeout=WAIT)
        assert response["type"] == 8 and not typing.late  # within Discord's 3 seconds
        return typing.choices or []

    newest = await suggest(world.bob, "article", "")
    assert len(newest) == 25
    assert [c["value"] for c in newest[:3]] == [str(library), str(shared), str(home[-1])]
    assert all(1 <= len(c["name"]) <= 100 and len(c["value"]) <= 100 for c in newest)
    assert newest[0]["name"].startswith(f"#{library} Library very") and newest[0]["name"].endswith(
        "…"
    )
    assert newest[3]["name"] == f"#{home[-2]} Parish bulletin 25 (2025-01-26)"

    ferry = await suggest(world.bob, "article", "harbor council ferry")
    assert ferry[0]["value"] == str(shared)
    assert str(lobby) not in [c["value"] for c in ferry]  # another server's article

    removable = await suggest(world.erin, "remove", "harbor council ferry")
    assert str(shared) not in [c["value"] for c in removable]  # shared: not removable here

    shown = await world.fake.send_command(world.bob, "article", {"id": ferry[0]["value"]})
    detail = await world.fake.wait_for_reply(shown, timeout=WAIT)
    assert detail["embeds"][0]["title"] == "Harbour council approves new ferry line"
    typed = await world.fake.send_command(world.bob, "article", {"id": "a title not picked"})
    assert (await world.fake.wait_for_reply(typed, timeout=WAIT))["content"] == (
        "Pick an article from the list as you type its title, or give its number."
    )

"""The fake Discord against the real discord.py client: login, events in, calls out.

A tiny inline ``commands.Bot`` (not Archivist's bot) exercises every path the bot's own
end-to-end tests rely on, so a failure here points at the fake, not at the bot.
"""

from __future__ import annotations

import asyncio
import io

import discord
import pytest
from discord import app_commands
from discord.ext import commands

from tests.fakediscord import (
    FakeDiscord,
    Overwrite,
    Upload,
    component_labels,
    fixtures,
    is_ephemeral,
    message_text,
)
from tests.fakediscord.fixtures import running_client
from tests.fakediscord.model import SEND_MESSAGES, VIEW_CHANNEL

# Until tests/conftest.py lists the plugin, expose the fixture to this module.
fake_discord = fixtures.fake_discord

NOTES = b"Kim met the archivist in Lisbon.\n"
MESSAGES_PATH = r"/channels/\d+/messages"


class ArchiveModal(discord.ui.Modal, title="Add a note"):
    note: discord.ui.TextInput[ArchiveModal] = discord.ui.TextInput(label="Note", custom_id="note")

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"noted: {self.note.value}", ephemeral=True)


class MoreView(discord.ui.View):
    @discord.ui.button(label="More", custom_id="more")
    async def more(
        self,
        interaction: discord.Interaction,
        button: discord.ui.Button[MoreView],
    ) -> None:
        await interaction.response.edit_message(content="page 2", view=None)

    @discord.ui.button(label="Later", custom_id="later")
    async def later(
        self,
        interaction: discord.Interaction,
        button: discord.ui.Button[MoreView],
    ) -> None:
        await interaction.response.defer()
        await interaction.followup.send("reminder set", ephemeral=True)


def make_bot(*, message_content: bool = True, members: bool = False) -> commands.Bot:
    intents = discord.Intents.default()
    intents.message_content = message_content
    intents.members = members
    bot = commands.Bot(command_prefix="!", intents=intents)
    bot.seen: list[discord.Message] = []  # type: ignore[attr-defined]

    @bot.listen()
    async def on_message(message: discord.Message) -> None:
        if not message.author.bot:
            bot.seen.append(message)  # type: ignore[attr-defined]

    @bot.command()
    async def ping(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.reply("pong")

    @bot.command()
    async def quiet(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.reply(
            f"{ctx.author.mention} @everyone", allowed_mentions=discord.AllowedMentions.none()
        )

    @bot.command()
    async def perms(ctx: commands.Context[commands.Bot]) -> None:
        assert isinstance(ctx.author, discord.Member)
        await ctx.send(f"manage_messages={ctx.author.guild_permissions.manage_messages}")

    @bot.command()
    async def read(ctx: commands.Context[commands.Bot]) -> None:
        data = await ctx.message.attachments[0].read()
        await ctx.send(f"{ctx.message.attachments[0].filename}: {data.decode()}")

    @bot.command()
    async def menu(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send("page 1", view=MoreView())

    @bot.tree.command(description="Ask the archive a question")
    @app_commands.describe(question="What you want to know")
    async def ask(interaction: discord.Interaction, question: str) -> None:
        await interaction.response.defer(thinking=True)
        await interaction.followup.send(f"You asked: {question}")

    @bot.command()
    async def export(ctx: commands.Context[commands.Bot]) -> None:
        await ctx.send("here", file=discord.File(io.BytesIO(NOTES), filename="export.txt"))

    @bot.tree.command(description="Find an article")
    async def find(interaction: discord.Interaction, topic: str) -> None:
        await interaction.response.send_message(f"finding {topic}")

    @find.autocomplete("topic")
    async def find_topics(
        interaction: discord.Interaction,
        current: str,
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=t, value=t)
            for t in ("ferry", "festival")
            if t.startswith(current)
        ]

    @bot.tree.command(description="Remove messages")
    @app_commands.default_permissions(manage_messages=True)
    async def purge(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("purged", ephemeral=True)

    @bot.tree.command(description="Add a note")
    async def note(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(ArchiveModal())

    @bot.tree.context_menu(name="Save to archive")
    async def save(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(f"saved: {message.content}", ephemeral=True)

    return bot


async def test_login_sees_guild_channels_roles_and_permissions(fake_discord: FakeDiscord):
    bot = make_bot()
    async with running_client(bot, fake_discord):
        assert bot.user is not None and bot.user.id == fake_discord.bot_user.id
        guild = bot.get_guild(fake_discord.guild.id)
        assert guild is not None and guild.name == "Archive Club"
        assert {c.name for c in guild.channels} == {"general", "staff"}
        assert {"@everyone", "Editors", "Archivist"} <= {r.name for r in guild.roles}
        staff = discord.utils.get(guild.text_channels, name="staff")
        assert staff is not None and staff.permissions_for(guild.me).view_channel
        assert not staff.permissions_for(guild.default_role).view_channel
        identify = next(f["d"] for f in fake_discord.gateway.received if f["op"] == 2)
        assert identify["intents"] == bot.intents.value
        handshake = fake_discord.gateway.handshakes[0]
        assert (handshake["v"], handshake["encoding"]) == ("10", "json")
        # zlib-stream is compressed by the fake; zstd-stream (if zstandard is ever installed)
        # gets text frames, which discord.py reads as well. Either way the client ran above.
        assert handshake["compress"] in ("zlib-stream", "zstd-stream")

        general = fake_discord.guild.channel("general")
        for name, expected in (("alice", "True"), ("bob", "False")):
            await fake_discord.send_message(general, fake_discord.guild.member(name), "!perms")
            reply = await fake_discord.wait_for_message(general)
            assert reply["content"] == f"manage_messages={expected}"


async def test_prefix_command_reply_and_who_it_pings(fake_discord: FakeDiscord):
    alice = fake_discord.guild.member("alice")
    general = fake_discord.guild.channel("general")
    async with running_client(make_bot(), fake_discord):
        msg = await fake_discord.send_message(general, alice, "!ping")
        call = await fake_discord.wait_for_call("POST", MESSAGES_PATH)
        assert call.json["content"] == "pong"
        assert str(call.json["message_reference"]["message_id"]) == msg["id"]
        assert call.response["message_reference"]["message_id"] == msg["id"]  # a string
        # No allowed_mentions on a reply: Discord pings the replied-to author.
        assert fake_discord.pings(call.response).users == {alice.id}

        await fake_discord.send_message(general, alice, "!quiet")
        quiet = await fake_discord.wait_for_call("POST", MESSAGES_PATH)
        assert quiet.json["allowed_mentions"] == {"parse": []}
        assert not fake_discord.pings(quiet.response)
    assert [m["content"] for m in fake_discord.bot_messages(general)] == [
        "pong",
        f"{alice.mention} @everyone",
    ]


async def test_without_message_content_intent_guild_text_arrives_blank(fake_discord):
    bot = make_bot(message_content=False)
    general = fake_discord.guild.channel("general")
    async with running_client(bot, fake_discord):
        await fake_discord.send_message(general, fake_discord.guild.member("bob"), "secret")
        await fake_discord.send_message(
            general, fake_discord.guild.member("bob"), f"{fake_discord.bot_user.mention} hello"
        )
        await fake_discord.send_dm(fake_discord.user("bob"), "in private")
        await fake_discord.wait_until(lambda: len(bot.seen) == 3, what="three messages")
    assert [m.content for m in bot.seen] == [
        "",
        f"{fake_discord.bot_user.mention} hello",
        "in private",
    ]


async def test_slash_command_synced_deferred_then_followup(fake_discord: FakeDiscord):
    bot = make_bot()
    alice = fake_discord.guild.member("alice")
    async with running_client(bot, fake_discord):
        with pytest.raises(LookupError, match="not a registered command"):
            await fake_discord.send_command(alice, "ask", {"question": "too early"})
        await bot.tree.sync()
        put = await fake_discord.wait_for_call("PUT", r"/applications/\d+/commands")
        assert {c["name"] for c in put.json} == {"ask", "find", "note", "purge", "Save to archive"}

        interaction = await fake_discord.send_command(alice, "ask", {"question": "who met Kim"})
        assert (await fake_discord.wait_for_response(interaction))["type"] == 5
        followup = await fake_discord.wait_for_call("POST", r"/webhooks/\d+/[^/]+")
        assert followup.query["wait"] == "1"
        reply = await fake_discord.wait_for_reply(interaction)
    assert reply["content"] == "You asked: who met Kim"
    assert not is_ephemeral(reply)
    assert reply["id"] == str(interaction.original_id)  # the "thinking" message, filled in


async def test_commands_hidden_by_default_permissions_cannot_be_run(fake_discord):
    bot = make_bot()
    async with running_client(bot, fake_discord):
        await bot.tree.sync()
        with pytest.raises(PermissionError, match="bob cannot see /purge"):
            await fake_discord.send_command(fake_discord.guild.member("bob"), "purge")
        allowed = await fake_discord.send_command(fake_discord.guild.member("alice"), "purge")
        assert (await fake_discord.wait_for_reply(allowed))["content"] == "purged"


async def test_messages_in_channels_hidden_from_the_bot_never_reach_it(fake_discord):
    guild = fake_discord.guild
    secret = guild.add_channel(
        "secret", overwrites=[Overwrite.for_(fake_discord.bot_member(guild), deny=VIEW_CHANNEL)]
    )
    bot = make_bot()
    async with running_client(bot, fake_discord):
        alice = guild.member("alice")
        await fake_discord.send_message(secret, alice, "!ping")
        await fake_discord.send_message(guild.channel("general"), alice, "!ping")
        await fake_discord.wait_for_message()
    assert [m.channel.id for m in bot.seen] == [guild.channel("general").id]


async def test_autocomplete_choices(fake_discord: FakeDiscord):
    bot = make_bot()
    async with running_client(bot, fake_discord):
        await bot.tree.sync()
        typing = await fake_discord.send_autocomplete(
            fake_discord.guild.member("bob"), "find", {"topic": "fe"}, focused="topic"
        )
        assert (await fake_discord.wait_for_response(typing))["type"] == 8
    assert typing.choices == [
        {"name": "ferry", "value": "ferry"},
        {"name": "festival", "value": "festival"},
    ]


async def test_button_click_updates_the_message(fake_discord: FakeDiscord):
    general = fake_discord.guild.channel("general")
    bob = fake_discord.guild.member("bob")
    async with running_client(make_bot(), fake_discord):
        await fake_discord.send_message(general, bob, "!menu")
        menu = await fake_discord.wait_for_message(general)
        assert component_labels(menu) == ["More", "Later"]
        later = await fake_discord.click(bob, menu, "later")
        reminder = await fake_discord.wait_for_reply(later)  # not the untouched menu
        click = await fake_discord.click(bob, menu, "more")
        assert (await fake_discord.wait_for_response(click))["type"] == 7
        assert (await fake_discord.wait_for_reply(click))["id"] == menu["id"]
    assert reminder["content"] == "reminder set" and is_ephemeral(reminder)
    assert fake_discord.message(menu["id"])["content"] == "page 2"
    assert fake_discord.message(menu["id"])["components"] == []


async def test_modal_and_message_context_menu(fake_discord: FakeDiscord):
    bot = make_bot()
    alice = fake_discord.guild.member("alice")
    general = fake_discord.guild.channel("general")
    async with running_client(bot, fake_discord):
        here = discord.Object(fake_discord.guild.id)
        bot.tree.copy_global_to(guild=here)
        await bot.tree.sync(guild=here)
        opened = await fake_discord.send_command(alice, "note")
        submitted = await fake_discord.submit_modal(opened, {"note": "check the Lisbon trip"})
        noted = await fake_discord.wait_for_reply(submitted)

        target = await fake_discord.send_message(general, alice, "Kim was in Lisbon")
        saved = await fake_discord.send_message_command(alice, "Save to archive", target)
        saved_reply = await fake_discord.wait_for_reply(saved)
    assert noted["content"] == "noted: check the Lisbon trip" and is_ephemeral(noted)
    assert saved_reply["content"] == "saved: Kim was in Lisbon" and is_ephemeral(saved_reply)


async def test_attachment_is_read_through_the_fake_cdn(fake_discord: FakeDiscord):
    general = fake_discord.guild.channel("general")
    async with running_client(make_bot(), fake_discord):
        await fake_discord.send_message(
            general,
            fake_discord.guild.member("alice"),
            "!read",
            attachments=[Upload("notes.txt", NOTES)],
        )
        reply = await fake_discord.wait_for_message(general)
    assert message_text(reply) == "notes.txt: " + NOTES.decode()
    assert fake_discord.calls_to("GET", r"/attachments/\d+/\d+/notes\.txt")


async def test_bot_upload_is_parsed_and_served(fake_discord: FakeDiscord):
    general = fake_discord.guild.channel("general")
    bot = make_bot()
    async with running_client(bot, fake_discord):
        await fake_discord.send_message(general, fake_discord.guild.member("bob"), "!export")
        call = await fake_discord.wait_for_call("POST", MESSAGES_PATH)
        sent = bot.get_channel(general.id).get_partial_message(  # type: ignore[union-attr]
            int(call.response["id"])
        )
        fetched = await sent.fetch()
        assert await fetched.attachments[0].read() == NOTES
    assert call.json["content"] == "here"
    assert [(f.filename, f.data) for f in call.files] == [("export.txt", NOTES)]
    assert call.response["attachments"][0]["filename"] == "export.txt"


async def test_dm_command_replies_in_the_dm(fake_discord: FakeDiscord):
    bob = fake_discord.user("bob")
    async with running_client(make_bot(), fake_discord):
        await fake_discord.send_dm(bob, "!ping")
        reply = await fake_discord.wait_for_message(fake_discord.dm_channel(bob))
    assert reply["content"] == "pong" and "guild_id" not in reply


async def test_rest_reads_edits_reactions_and_deletes(fake_discord: FakeDiscord):
    alice = fake_discord.guild.member("alice")
    general_fake = fake_discord.guild.channel("general")
    bot = make_bot()
    async with running_client(bot, fake_discord):
        posted = await fake_discord.send_message(general_fake, alice, "first")
        general = await bot.fetch_channel(general_fake.id)
        assert isinstance(general, discord.TextChannel) and general.name == "general"
        assert [m.content async for m in general.history(limit=5)] == ["first"]
        theirs = await general.fetch_message(int(posted["id"]))
        await theirs.add_reaction("\N{WHITE HEAVY CHECK MARK}")
        mine = await general.send("draft")
        await mine.edit(content="final")
        member = await general.guild.fetch_member(alice.id)
        assert [r.name for r in member.roles[1:]] == ["Editors"]
        dm = await member.create_dm()
        await dm.send("psst")
        with pytest.raises(discord.Forbidden):  # another's message needs Manage Messages
            await theirs.delete()
        await mine.delete()
    assert fake_discord.reactions[int(posted["id"])] == ["\N{WHITE HEAVY CHECK MARK}"]
    assert [m["content"] for m in fake_discord.bot_messages()] == ["psst"]
    assert fake_discord.message(posted["id"]) is not None
    assert [m["content"] for m in fake_discord.messages_in(general_fake)] == ["first"]


async def test_discord_side_errors_reach_the_client(fake_discord: FakeDiscord):
    guild = fake_discord.guild
    muted = guild.add_channel(
        "announcements",
        overwrites=[Overwrite.for_(fake_discord.bot_member(guild), deny=SEND_MESSAGES)],
    )
    bot = make_bot()
    async with running_client(bot, fake_discord):
        general = bot.get_channel(guild.channel("general").id)
        assert isinstance(general, discord.TextChannel)
        with pytest.raises(discord.HTTPException) as too_long:
            await general.send("x" * 2001)
        assert too_long.value.code == 50035 and "2000 or fewer" in str(too_long.value)
        with pytest.raises(discord.Forbidden) as forbidden:
            await bot.get_channel(muted.id).send("hello")  # type: ignore[union-attr]
        assert forbidden.value.code == 50013
        with pytest.raises(discord.NotFound):
            await general.guild.fetch_emojis()
    assert [c.path for c in fake_discord.unknown_calls] == [f"/guilds/{guild.id}/emojis"]


async def test_members_intent_gets_members_by_chunking(fake_discord: FakeDiscord):
    bot = make_bot(members=True)
    alice = fake_discord.guild.member("alice")
    async with running_client(bot, fake_discord):
        guild = bot.get_guild(fake_discord.guild.id)
        assert guild is not None and guild.chunked
        member = guild.get_member(alice.id)
        assert member is not None and [r.name for r in member.roles[1:]] == ["Editors"]


async def test_reconnect_resumes_the_session(fake_discord: FakeDiscord):
    bot = make_bot()
    general = fake_discord.guild.channel("general")
    async with running_client(bot, fake_discord):
        await fake_discord.request_reconnect()
        await fake_discord.wait_until(
            lambda: (
                any(f["op"] == 6 for f in fake_discord.gateway.received)
                and fake_discord.gateway.connected
            ),
            what="a RESUME",
        )
        await fake_discord.send_message(general, fake_discord.guild.member("bob"), "!ping")
        assert (await fake_discord.wait_for_message(general))["content"] == "pong"
    assert sum(f["op"] == 2 for f in fake_discord.gateway.received) == 1  # no re-IDENTIFY


async def test_wrong_token_is_a_login_failure(fake_discord: FakeDiscord):
    bot = make_bot()
    with pytest.raises(discord.LoginFailure):
        async with running_client(bot, fake_discord, token="not-the-token"):
            pass
    assert fake_discord.calls[-1].status == 401


async def test_privileged_intent_not_enabled_in_portal(fake_discord: FakeDiscord):
    fake_discord.allowed_privileged_intents = 0
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with running_client(make_bot(), fake_discord):
            pass


async def test_close_is_clean(fake_discord: FakeDiscord):
    bot = make_bot()
    async with running_client(bot, fake_discord):
        assert fake_discord.gateway.connected
    # running_client awaited client.start() to its end: it returned, it did not raise.
    assert bot.is_closed()
    await fake_discord.wait_until(
        lambda: not fake_discord.gateway.connections, what="the websocket to close"
    )
    assert not fake_discord.gateway.connected


async def test_autocomplete_limits_and_the_three_second_deadline(fake_discord: FakeDiscord):
    bot = make_bot()
    replies: dict[str, list[app_commands.Choice[str]]] = {
        "many": [app_commands.Choice(name=f"t{n}", value=f"t{n}") for n in range(26)],
        "long": [app_commands.Choice(name="x" * 101, value="x")],
        "ok": [app_commands.Choice(name="ferry", value="ferry")],
    }

    @bot.tree.command(description="Look something up")
    async def look(interaction: discord.Interaction, topic: str) -> None:
        await interaction.response.send_message(topic)

    @look.autocomplete("topic")
    async def topics(interaction: discord.Interaction, current: str):
        if current == "slow":
            await asyncio.sleep(0.3)
            return replies["ok"]
        return replies[current]

    fake_discord.interaction_deadline = 0.2
    bob = fake_discord.guild.member("bob")
    async with running_client(bot, fake_discord):
        await bot.tree.sync()
        sent = {}
        for typed in ("many", "long", "ok", "slow"):
            sent[typed] = await fake_discord.send_autocomplete(
                bob, "look", {"topic": typed}, focused="topic"
            )
        await fake_discord.wait_until(lambda: sent["ok"].choices is not None)
        await fake_discord.wait_until(lambda: sent["slow"].late)

        def rejected():
            return [c for c in fake_discord.calls if c.status == 400 and "callback" in c.path]

        await fake_discord.wait_until(lambda: len(rejected()) == 2)
    reasons = " ".join(str(c.response) for c in rejected())
    assert "25 or fewer" in reasons and "between 1 and 100" in reasons
    assert sent["many"].choices is None and sent["long"].choices is None
    assert sent["ok"].choices == [{"name": "ferry", "value": "ferry"}]
    assert sent["slow"].choices is None and sent["slow"].late

"""Shards: the bot over several gateway connections, and several processes on one store.

The fake Discord shards as Discord does: each IDENTIFY names ``[shard_id, shard_count]``,
each shard gets its own READY, and a guild's events go to shard ``(guild_id >> 22) % count``
only (direct messages to shard 0). Stores are real: SQLite files, the local PostgreSQL.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading
from pathlib import Path

from sqlalchemy import create_engine, text

from bot.client import ShardedArchivistBot, make_bot
from knowledge import Archivist, KnowledgeConfig
from knowledge.embedding import shared_embedder
from runtime.settings import BotSettings, Settings
from tests.fakediscord import FakeDiscord, message_text
from tests.fakediscord.fixtures import running_client
from tests.test_bot_e2e import FERRY, LIBRARY, REPO, WAIT, bot_env, start_bot_process

MILL = """The old water mill turns again

Volunteers restored the water mill on the Somes river over three summers. The wheel, carved \
from oak by carpenter Vasile Ilie, started turning again in September.
"""


def two_guild_world(fake: FakeDiscord) -> dict:
    """A server on each of two shards, with a channel and a member who may ingest."""
    world = {}
    for shard_id, name in ((0, "Harbour Town"), (1, "Mill Valley")):
        guild = fake.add_guild(name, shard=(shard_id, 2))
        editors = guild.add_role("Archivists")
        world[shard_id] = (
            guild,
            guild.add_channel("general"),
            guild.add_member(fake.add_user(f"editor{shard_id}"), roles=[editors]),
        )
    return world


def settings_for(url: str, fake: FakeDiscord, **bot: object) -> Settings:
    return Settings(
        knowledge=KnowledgeConfig(database_url=url, semantic="off"),
        bot=BotSettings(
            token=fake.token, editor_role="Archivists", ask_cooldown=0.0, ingest_cooldown=0.0, **bot
        ),  # type: ignore[arg-type]
    )


async def test_unset_shards_make_the_plain_bot(tmp_path):
    async with FakeDiscord() as fake:
        settings = settings_for(f"sqlite:///{tmp_path / 'a.db'}", fake)
        with Archivist(settings.knowledge) as service:
            bot = make_bot(settings, service)
            assert not isinstance(bot, ShardedArchivistBot)
            await bot.close()


async def test_one_process_runs_every_shard_and_each_guild_talks_to_its_own(fake_discord, tmp_path):
    fake = fake_discord
    world = two_guild_world(fake)
    settings = settings_for(f"sqlite:///{tmp_path / 'shards.db'}", fake, shard_count=2)
    with Archivist(settings.knowledge) as service:
        for shard_id, (guild, _channel, _member) in world.items():
            service.ingest_text(FERRY if shard_id == 0 else MILL, collection=f"guild:{guild.id}")
        bot = make_bot(settings, service)
        assert isinstance(bot, ShardedArchivistBot)
        async with running_client(bot, fake):
            await fake.wait_until(lambda: len(fake.gateway.shards_connected()) == 2, timeout=WAIT)
            for shard_id, question, quoted in (
                (0, "ferry to Varna", "Varna"),
                (1, "mill wheel", "oak"),
            ):
                guild, channel, member = world[shard_id]
                await fake.send_message(channel, member, f"!ask {question}")
                reply = await fake.wait_for_message(channel, timeout=WAIT)
                assert quoted in message_text(reply)
                assert bot.get_guild(guild.id).shard_id == shard_id
            readies = fake.gateway.dispatched_to("READY")
            assert sorted(shard for shard, _ in readies) == [(0, 2), (1, 2)]
            assert all(ready["shard"] == list(shard) for shard, ready in readies)
            created = {
                (shard[0], int(g["id"])) for shard, g in fake.gateway.dispatched_to("GUILD_CREATE")
            }
            assert {(0, world[0][0].id), (1, world[1][0].id)} <= created
            assert all((guild_id >> 22) % 2 == shard_id for shard_id, guild_id in created)
            assert len(created) == len(fake.guilds)  # each guild once, on its own shard
            messages = fake.gateway.dispatched_to("MESSAGE_CREATE")
            assert {(shard[0], int(m["guild_id"])) for shard, m in messages} == {
                (shard_id, world[shard_id][0].id) for shard_id in world
            }


async def test_some_shards_on_a_sqlite_file_are_refused_with_the_reason(tmp_path):
    async with FakeDiscord() as fake:
        env = bot_env(tmp_path, fake, ARCHIVIST_SHARD_COUNT="2", ARCHIVIST_SHARD_IDS="1")
        process = await start_bot_process(tmp_path, env)
        _stdout, stderr = await asyncio.wait_for(process.communicate(), WAIT)
    assert process.returncode == 2
    assert stderr.decode().strip().splitlines() == [
        "archivist: ARCHIVIST_SHARD_IDS=1 runs some of the 2 shards, so other processes share "
        "the store: that needs PostgreSQL, not a SQLite file. Set DATABASE_URL to "
        "postgresql+psycopg://… (move the store with `archivist copy --to URL`), or run every "
        "shard in this one process (leave ARCHIVIST_SHARD_IDS unset)."
    ]


class CountingEmbedder:
    """The real model, counting the sentences it embeds."""

    def __init__(self) -> None:
        self._model = shared_embedder()
        self.name = self._model.name
        self.dim = self._model.dim
        self.embedded = 0
        self._lock = threading.Lock()

    def queries(self, texts):
        return self._model.queries(texts)

    def passages(self, texts):
        with self._lock:
            self.embedded += len(texts)
        return self._model.passages(texts)


def test_workers_in_two_processes_never_embed_a_passage_twice(pg_schema_url):
    with Archivist(KnowledgeConfig(database_url=pg_schema_url, semantic="off")) as archive:
        for n in range(12):
            archive.ingest_text(f"Survey {n}\n\n" + LIBRARY.replace("two years", f"{n + 2} years"))
            archive.ingest_text(f"Mill {n}\n\n" + MILL.replace("three", f"{n + 3}"))
    counters = [CountingEmbedder(), CountingEmbedder()]
    archives = [
        Archivist(KnowledgeConfig(database_url=pg_schema_url), embedder=c) for c in counters
    ]
    start = threading.Barrier(2)
    done = [0, 0]

    def work(i: int) -> None:
        start.wait()
        while n := archives[i].embed_pending(limit=4):
            done[i] += n

    threads = [threading.Thread(target=work, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT * 4)
    try:
        engine = create_engine(pg_schema_url)
        with engine.connect() as connection:
            passages = connection.execute(text("SELECT COUNT(*) FROM passages")).scalar()
            vectors = connection.execute(text("SELECT COUNT(*) FROM passage_vectors")).scalar()
            sentences = connection.execute(
                text("SELECT SUM(LENGTH(bounds) / 8) FROM passage_vectors")
            ).scalar()
        engine.dispose()
    finally:
        for archive in archives:
            archive.close()
    assert vectors == passages == sum(done)
    assert all(done), "both workers took a share"
    # Every sentence went through the model exactly once, across both workers.
    assert sum(c.embedded for c in counters) == sentences


# --- two bot processes, one PostgreSQL store --------------------------------------------


async def ask(fake: FakeDiscord, channel, member, question: str) -> str:
    """What the user reads in reply to ``!ask question``."""
    asked = await fake.send_message(channel, member, f"!ask {question}")

    def answers(message: dict) -> bool:
        return (message.get("message_reference") or {}).get("message_id") == asked["id"]

    return message_text(await fake.wait_for_message(channel, predicate=answers, timeout=WAIT))


async def cli(url: str, cwd: Path, *args: str) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "ARCHIVIST_"))}
    env.update(PYTHONPATH=str(REPO), DATABASE_URL=url, ARCHIVIST_SEMANTIC="off")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "archivist", *args, cwd=cwd, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), WAIT)
    return process.returncode, out.decode() + err.decode()


async def test_two_processes_each_serve_their_shard_of_one_postgresql_store(
    fake_discord, pg_schema_url, tmp_path
):
    fake = fake_discord
    world = two_guild_world(fake)
    (harbour, harbour_general, harbour_editor) = world[0]
    (valley, valley_general, valley_editor) = world[1]
    processes = []
    for shard_id in (0, 1):
        folder = tmp_path / f"shard{shard_id}"
        folder.mkdir()
        env = bot_env(
            folder,
            fake,
            DATABASE_URL=pg_schema_url,
            ARCHIVIST_SHARD_COUNT="2",
            ARCHIVIST_SHARD_IDS=str(shard_id),
            ARCHIVIST_ASK_COOLDOWN="0",
            ARCHIVIST_SEMANTIC="off",
        )
        processes.append(await start_bot_process(folder, env))
    try:
        await fake.wait_until(
            lambda: fake.gateway.shards_connected() == {(0, 2), (1, 2)},
            timeout=WAIT,
            what="both shards",
        )
        await fake.wait_until(lambda: fake.commands, timeout=WAIT, what="slash commands")

        # Each server is answered by its own shard's process, once.
        stored = await fake.send_command(harbour_editor, "ingest", {"text": FERRY})
        assert "Stored #1" in (await fake.wait_for_reply(stored, timeout=WAIT))["content"]
        assert "Varna" in await ask(fake, harbour_general, harbour_editor, "ferry to Varna")
        assert "Nothing relevant" in await ask(
            fake, valley_general, valley_editor, "ferry to Varna"
        )
        routed = {
            (shard[0], int(m["guild_id"]))
            for shard, m in fake.gateway.dispatched_to("MESSAGE_CREATE")
        }
        assert routed == {(0, harbour.id), (1, valley.id)}
        assert len(fake.bot_messages(harbour_general)) == 2  # the ingest's reply, the answer

        # What one process stores, the others answer at once: the shard-0 process's ingest
        # is read by a third process, and a third process's ingest into the shared
        # collection by both shards (whose caches are warm from the questions above).
        status, out = await cli(
            pg_schema_url, tmp_path, "ask", "--collection", f"guild:{harbour.id}", "ferry Varna"
        )
        assert status == 0 and "Varna" in out, out
        mill = tmp_path / "mill.md"
        mill.write_text(MILL, encoding="utf-8")
        status, out = await cli(pg_schema_url, tmp_path, "ingest", str(mill))
        assert status == 0, out
        assert "Vasile Ilie" in await ask(
            fake, harbour_general, harbour_editor, "who carved the mill wheel"
        )
        assert "Vasile Ilie" in await ask(
            fake, valley_general, valley_editor, "who carved the mill wheel"
        )

        # The same article sent twice at once in one server, while another process stores
        # it too: one article.
        library = tmp_path / "library.txt"
        library.write_text("Library reopens\n\n" + LIBRARY, encoding="utf-8")
        first = await fake.send_command(
            valley_editor, "ingest", {"text": "Library reopens\n\n" + LIBRARY}
        )
        second = await fake.send_command(
            valley_editor, "ingest", {"text": "Library reopens\n\n" + LIBRARY}
        )
        from_cli = asyncio.create_task(
            cli(
                pg_schema_url,
                tmp_path,
                "ingest",
                "--collection",
                f"guild:{valley.id}",
                str(library),
            )
        )
        replies = [(await fake.wait_for_reply(i, timeout=WAIT))["content"] for i in (first, second)]
        status, out = await from_cli
        assert status == 0, out
        engine = create_engine(pg_schema_url)
        with engine.connect() as connection:
            count = connection.execute(
                text("SELECT COUNT(*) FROM articles WHERE title = 'Library reopens'")
            ).scalar()
        engine.dispose()
        assert count == 1
        said = replies + [out]
        assert sum("already stored" in r.lower() for r in said) == 2, said

        # SIGTERM stops the shard-0 process cleanly; the other goes on serving.
        processes[0].send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(processes[0].communicate(), WAIT)
        assert processes[0].returncode == 0, stderr.decode()
        assert "stopped cleanly" in stdout.decode()
        await fake.wait_until(
            lambda: fake.gateway.shards_connected() == {(1, 2)}, timeout=WAIT, what="shard 0 gone"
        )
        assert "Radu Pop" in await ask(fake, valley_general, valley_editor, "who is the librarian")
    finally:
        for process in processes:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(process.wait(), WAIT)
                except TimeoutError:
                    process.kill()
                    await process.wait()
    logs = [(await p.stdout.read()).decode() if p.stdout else "" for p in processes[1:]]
    assert all("Traceback" not in log for log in logs)


def test_every_shard_in_one_process_may_use_sqlite():
    from bot.launcher import _shared_store_problem

    assert _shared_store_problem(Settings(bot=BotSettings(shard_count=2, shard_ids=(0, 1)))) is None
    assert _shared_store_problem(Settings(bot=BotSettings(shard_count=2))) is None
    assert _shared_store_problem(Settings(bot=BotSettings(shard_count=2, shard_ids=(1,))))

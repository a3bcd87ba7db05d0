"""Settings come from the environment over a real ``.env`` file, typed, with one error for all."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from knowledge.config import KnowledgeConfig
from runtime.settings import _KEYS, Settings, SettingsError, load_settings

REPO = Path(__file__).resolve().parent.parent

DOTENV = """\
# comments and blank lines are fine

DATABASE_URL=sqlite:///from-dotenv.db
ARCHIVIST_TOP_K=7
export LOG_LEVEL=debug
ARCHIVIST_ALLOW_DMS=no
ARCHIVIST_ALLOW_PRIVATE_URLS="yes"
ARCHIVIST_ALLOWED_CHANNELS=123456789012345678, 222 333
ARCHIVIST_EDITOR_ROLE='Archive Keepers'
DISCORD_TOKEN=
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    """No setting leaks in from the machine running the tests, nor a .env in the checkout."""
    for key in _KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.chdir(tmp_path)


def write_env(tmp_path: Path, text: str) -> Path:
    path = tmp_path / ".env"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_without_env_file():
    assert load_settings() == Settings()
    assert load_settings().knowledge.database_url == KnowledgeConfig().database_url


def test_dotenv_in_working_directory_is_read_and_typed(tmp_path):
    write_env(tmp_path, DOTENV)
    settings = load_settings()  # the default ".env", relative to the working directory
    assert settings.knowledge.database_url == "sqlite:///from-dotenv.db"
    assert settings.knowledge.top_k == 7
    assert settings.knowledge.allow_private_urls is True
    assert settings.log_level == "DEBUG"
    assert settings.bot.allow_dms is False
    assert settings.bot.allowed_channels == frozenset({123456789012345678, 222, 333})
    assert settings.bot.editor_role == "Archive Keepers"
    assert settings.bot.token is None  # empty means unset


def test_environment_overrides_dotenv(tmp_path, monkeypatch):
    path = write_env(tmp_path, DOTENV)
    monkeypatch.setenv("DATABASE_URL", "sqlite:///from-environment.db")
    monkeypatch.setenv("ARCHIVIST_ALLOW_DMS", "on")
    settings = load_settings(path)
    assert settings.knowledge.database_url == "sqlite:///from-environment.db"
    assert settings.bot.allow_dms is True
    assert settings.knowledge.top_k == 7  # still from .env


def test_env_file_none_reads_only_the_environment(tmp_path, monkeypatch):
    write_env(tmp_path, DOTENV)
    monkeypatch.setenv("ARCHIVIST_TOP_K", "4")
    settings = load_settings(None)
    assert settings.knowledge.top_k == 4
    assert settings.knowledge.database_url == KnowledgeConfig().database_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("TRUE", True),
        ("yes", True),
        ("on", True),
        ("0", False),
        ("false", False),
        ("No", False),
        ("off", False),
    ],
)
def test_booleans(monkeypatch, raw, expected):
    monkeypatch.setenv("ARCHIVIST_ALLOW_DMS", raw)
    assert load_settings(None).bot.allow_dms is expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1", {1}), ("1,2,3", {1, 2, 3}), ("1 2  3", {1, 2, 3}), ("1, 2,,3,", {1, 2, 3})],
)
def test_channel_lists(monkeypatch, raw, expected):
    monkeypatch.setenv("ARCHIVIST_ALLOWED_CHANNELS", raw)
    assert load_settings(None).bot.allowed_channels == frozenset(expected)


def test_every_bad_value_is_named_in_one_error(tmp_path, monkeypatch):
    write_env(tmp_path, "ARCHIVIST_TOP_K=0\nLOG_LEVEL=loud\n")
    monkeypatch.setenv("ARCHIVIST_ALLOW_DMS", "maybe")
    monkeypatch.setenv("ARCHIVIST_ALLOWED_CHANNELS", "general,123")
    monkeypatch.setenv("ARCHIVIST_MIN_CONFIDENCE", "1.5")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    message = str(caught.value)
    for key in (
        "ARCHIVIST_TOP_K",
        "LOG_LEVEL",
        "ARCHIVIST_ALLOW_DMS",
        "ARCHIVIST_ALLOWED_CHANNELS",
        "ARCHIVIST_MIN_CONFIDENCE",
    ):
        assert key in message
    assert "\n" not in message


def test_env_example_lists_every_key_and_loads_cleanly(monkeypatch):
    example = REPO / ".env.example"
    text = example.read_text(encoding="utf-8")
    listed = set(re.findall(r"^#?\s*([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))
    assert listed == set(_KEYS)
    # Each key has a comment line just above it, saying what it is for.
    key_line = re.compile(r"^#?\s*[A-Z][A-Z0-9_]*=")
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if key_line.match(line):
            above = lines[i - 1]
            assert above.startswith("# ") and not key_line.match(above), line
    # Copying it to .env as is gives working settings (no token, so no bot).
    settings = load_settings(example)
    assert settings.bot.token is None
    assert settings.knowledge.database_url.startswith("sqlite:///")


@pytest.mark.parametrize(
    ("key", "raw", "why"),
    [
        ("ARCHIVIST_MAX_REDIRECTS", "-1", "must be from 0 to 20"),
        ("ARCHIVIST_MAX_REDIRECTS", "1000", "must be from 0 to 20"),
        ("ARCHIVIST_TOP_K", "100", "must be from 1 to 25"),
        ("ARCHIVIST_TOP_K", "0", "must be from 1 to 25"),
        ("DEV_GUILD_ID", "-5", "must be greater than 0"),
    ],
)
def test_out_of_range_values_are_refused_with_the_key_named(monkeypatch, key, raw, why):
    monkeypatch.setenv(key, raw)
    with pytest.raises(SettingsError) as caught:
        load_settings(None)
    assert str(caught.value) == f"invalid settings: {key}={raw!r}: {why}"


@pytest.mark.parametrize(
    ("key", "raw"), [("ARCHIVIST_MAX_REDIRECTS", "0"), ("ARCHIVIST_TOP_K", "25")]
)
def test_the_ends_of_a_range_are_accepted(monkeypatch, key, raw):
    monkeypatch.setenv(key, raw)
    load_settings(None)


def test_shards_unset_mean_no_sharding(monkeypatch):
    bot = load_settings(env_file=None).bot
    assert (bot.shard_count, bot.shard_ids, bot.sharded, bot.shares_shards) == (
        None,
        None,
        False,
        False,
    )


@pytest.mark.parametrize(
    ("count", "ids", "expected", "shares"),
    [
        ("2", None, (2, None), False),
        ("4", "1, 0", (4, (0, 1)), True),
        ("2", "0,1", (2, (0, 1)), False),
    ],
)
def test_shard_settings(monkeypatch, count, ids, expected, shares):
    monkeypatch.setenv("ARCHIVIST_SHARD_COUNT", count)
    if ids is not None:
        monkeypatch.setenv("ARCHIVIST_SHARD_IDS", ids)
    bot = load_settings(env_file=None).bot
    assert (bot.shard_count, bot.shard_ids) == expected
    assert bot.sharded and bot.shares_shards is shares


@pytest.mark.parametrize(
    ("count", "ids", "message"),
    [
        (None, "0", "ARCHIVIST_SHARD_IDS='0': needs ARCHIVIST_SHARD_COUNT, the number of shards"),
        (
            "2",
            "2",
            "ARCHIVIST_SHARD_IDS='2': shard numbers go from 0 to 1 with ARCHIVIST_SHARD_COUNT=2",
        ),
        ("2", "0,0", "ARCHIVIST_SHARD_IDS='0,0': expected distinct shard numbers from 0"),
        ("2", "one", "ARCHIVIST_SHARD_IDS='one': expected whole numbers separated by commas"),
        ("0", None, "ARCHIVIST_SHARD_COUNT='0': must be from 1 to 10000"),
    ],
)
def test_bad_shard_settings_are_named(monkeypatch, count, ids, message):
    if count is not None:
        monkeypatch.setenv("ARCHIVIST_SHARD_COUNT", count)
    monkeypatch.setenv("ARCHIVIST_SHARD_IDS", ids or "")
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_settings(env_file=None)

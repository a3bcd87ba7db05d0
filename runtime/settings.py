"""The one place that reads configuration: the environment over ``.env``."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from dotenv import dotenv_values

from knowledge.config import KnowledgeConfig


class SettingsError(Exception):
    """One or more settings are missing or malformed; the message names them all."""


@dataclass(frozen=True)
class BotSettings:
    token: str | None = None
    command_prefix: str = "!"
    #: Name or id of the role allowed to ingest and remove, besides Manage Messages.
    editor_role: str | None = None
    dev_guild_id: int | None = None
    #: Channel ids where the bot answers; empty means everywhere.
    allowed_channels: frozenset[int] = frozenset()
    allow_dms: bool = True
    ask_cooldown: float = 5.0  # seconds between asks, per user
    ingest_cooldown: float = 30.0  # seconds between ingests, per user
    #: Channel ids where an editor's link or attachment is stored without a command.
    ingest_channels: frozenset[int] = frozenset()
    #: Base URLs of the Discord API and gateway; only tests change these.
    api_base: str | None = None
    #: Shards in all, and those this process runs (None: all of them). Both None: no
    #: sharding, one gateway connection, as a plain ``commands.Bot``.
    shard_count: int | None = None
    shard_ids: tuple[int, ...] | None = None

    @property
    def sharded(self) -> bool:
        return self.shard_count is not None

    @property
    def shares_shards(self) -> bool:
        """True when other processes run the remaining shards of this bot."""
        return self.shard_ids is not None and len(set(self.shard_ids)) < (self.shard_count or 1)


@dataclass(frozen=True)
class Settings:
    knowledge: KnowledgeConfig = field(default_factory=KnowledgeConfig)
    bot: BotSettings = field(default_factory=BotSettings)
    log_level: str = "INFO"
    log_file: str | None = None
    log_format: str = "text"  # "text" or "json"


def _bool(value: str) -> bool:
    v = value.strip().lower()
    if v in {"1", "true", "yes", "on"}:
        return True
    if v in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected true or false")


def _int_set(value: str) -> frozenset[int]:
    return frozenset(int(part) for part in value.replace(" ", ",").split(",") if part)


def _int_list(value: str) -> tuple[int, ...]:
    try:
        ids = tuple(int(part) for part in value.replace(" ", ",").split(",") if part)
    except ValueError:
        raise ValueError("expected whole numbers separated by commas, e.g. 0,1") from None
    if not ids or any(i < 0 for i in ids) or len(set(ids)) != len(ids):
        raise ValueError("expected distinct shard numbers from 0, e.g. 0,1")
    return tuple(sorted(ids))


def _positive(kind):
    def parse(value: str):
        number = kind(value)
        if number <= 0:
            raise ValueError("must be greater than 0")
        return number

    return parse


def _int_from(low: int, high: int):
    def parse(value: str) -> int:
        try:
            number = int(value)
        except ValueError:
            raise ValueError("expected a whole number") from None
        if not low <= number <= high:
            raise ValueError(f"must be from {low} to {high}")
        return number

    return parse


def _non_negative_float(value: str) -> float:
    number = float(value)
    if number < 0:
        raise ValueError("must be 0 or more")
    return number


def _log_level(value: str) -> str:
    level = value.strip().upper()
    if level not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
        raise ValueError("expected DEBUG, INFO, WARNING, ERROR or CRITICAL")
    return level


def _log_format(value: str) -> str:
    fmt = value.strip().lower()
    if fmt not in {"text", "json"}:
        raise ValueError("expected text or json")
    return fmt


def _confidence(value: str) -> float:
    number = float(value)
    if not 0 <= number <= 1:
        raise ValueError("expected a number from 0 to 1")
    return number


def _semantic(value: str) -> str:
    mode = value.strip().lower()
    if mode not in {"auto", "on", "off"}:
        raise ValueError("expected auto, on or off")
    return mode


# key -> (section, field, parser)
_KEYS: dict[str, tuple[str, str, object]] = {
    "DATABASE_URL": ("knowledge", "database_url", str),
    "ARCHIVIST_COLLECTION": ("knowledge", "default_collection", str),
    "ARCHIVIST_MAX_DOCUMENT_BYTES": ("knowledge", "max_document_bytes", _positive(int)),
    "ARCHIVIST_MAX_DOWNLOAD_BYTES": ("knowledge", "max_download_bytes", _positive(int)),
    "ARCHIVIST_CONNECT_TIMEOUT": ("knowledge", "connect_timeout", _positive(float)),
    "ARCHIVIST_FETCH_TIMEOUT": ("knowledge", "fetch_timeout", _positive(float)),
    # 0 follows none; a chain longer than 20 is a loop (browsers stop at 20 too).
    "ARCHIVIST_MAX_REDIRECTS": ("knowledge", "max_redirects", _int_from(0, 20)),
    "ARCHIVIST_ALLOW_PRIVATE_URLS": ("knowledge", "allow_private_urls", _bool),
    "ARCHIVIST_USER_AGENT": ("knowledge", "user_agent", str),
    # The service answers with at most 25 excerpts a page.
    "ARCHIVIST_TOP_K": ("knowledge", "top_k", _int_from(1, 25)),
    "ARCHIVIST_MIN_CONFIDENCE": ("knowledge", "min_confidence", _confidence),
    "ARCHIVIST_SEMANTIC": ("knowledge", "semantic", _semantic),
    "ARCHIVIST_LOG_QUESTIONS": ("knowledge", "log_questions", _bool),
    "DISCORD_TOKEN": ("bot", "token", str),
    "ARCHIVIST_PREFIX": ("bot", "command_prefix", str),
    "ARCHIVIST_EDITOR_ROLE": ("bot", "editor_role", str),
    "DEV_GUILD_ID": ("bot", "dev_guild_id", _positive(int)),
    "ARCHIVIST_ALLOWED_CHANNELS": ("bot", "allowed_channels", _int_set),
    "ARCHIVIST_ALLOW_DMS": ("bot", "allow_dms", _bool),
    "ARCHIVIST_INGEST_CHANNELS": ("bot", "ingest_channels", _int_set),
    "ARCHIVIST_ASK_COOLDOWN": ("bot", "ask_cooldown", _non_negative_float),
    "ARCHIVIST_INGEST_COOLDOWN": ("bot", "ingest_cooldown", _non_negative_float),
    "DISCORD_API_BASE": ("bot", "api_base", str),
    "ARCHIVIST_SHARD_COUNT": ("bot", "shard_count", _int_from(1, 10_000)),
    "ARCHIVIST_SHARD_IDS": ("bot", "shard_ids", _int_list),
    "LOG_LEVEL": ("", "log_level", _log_level),
    "LOG_FILE": ("", "log_file", str),
    "LOG_FORMAT": ("", "log_format", _log_format),
}


def settings_from_mapping(values: Mapping[str, str | None]) -> Settings:
    """Build settings from string values; raise one SettingsError naming every bad key."""
    sections: dict[str, dict[str, object]] = {"knowledge": {}, "bot": {}, "": {}}
    problems: list[str] = []
    for key, (section, name, parse) in _KEYS.items():
        raw = values.get(key)
        if raw is None or raw.strip() == "":
            continue
        try:
            sections[section][name] = parse(raw.strip())  # type: ignore[operator]
        except ValueError as exc:
            problems.append(f"{key}={raw!r}: {exc}")
    count = sections["bot"].get("shard_count")
    ids = sections["bot"].get("shard_ids")
    if ids is not None and count is None:
        problems.append(
            f"ARCHIVIST_SHARD_IDS={values.get('ARCHIVIST_SHARD_IDS')!r}: "
            "needs ARCHIVIST_SHARD_COUNT, the number of shards in all"
        )
    elif ids is not None and max(ids) >= count:  # type: ignore[operator, type-var]
        problems.append(
            f"ARCHIVIST_SHARD_IDS={values.get('ARCHIVIST_SHARD_IDS')!r}: "
            f"shard numbers go from 0 to {count - 1} with ARCHIVIST_SHARD_COUNT={count}"  # type: ignore[operator]
        )
    if problems:
        raise SettingsError("invalid settings: " + "; ".join(problems))
    return Settings(
        knowledge=KnowledgeConfig(**sections["knowledge"]),  # type: ignore[arg-type]
        bot=BotSettings(**sections["bot"]),  # type: ignore[arg-type]
        **sections[""],  # type: ignore[arg-type]
    )


def load_settings(env_file: str | Path | None = ".env") -> Settings:
    """Merge ``.env`` (if present) under the real environment and parse it."""
    merged: dict[str, str | None] = {}
    if env_file is not None and Path(env_file).is_file():
        merged.update(dotenv_values(env_file))
    merged.update({key: value for key, value in os.environ.items() if key in _KEYS})
    return settings_from_mapping(merged)

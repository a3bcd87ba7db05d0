"""Logging set-up: text and JSON lines, the log file, levels, and no token in any line."""

from __future__ import annotations

import json
import logging
import re

import pytest

from runtime.logs import remove_handlers, setup_logging
from runtime.settings import BotSettings, Settings

TOKEN = "MTA5OTk5.fake-token.for-tests-only-xyz"


@pytest.fixture(autouse=True)
def restore_logging():
    root = logging.getLogger()
    level = root.level
    yield
    remove_handlers()
    root.setLevel(level)


def settings(tmp_path, **kwargs) -> Settings:
    log_file = str(tmp_path / "archivist.log")
    return Settings(bot=BotSettings(token=TOKEN), log_file=log_file, **kwargs)


def test_text_lines_on_stderr_and_in_the_file(tmp_path, capsys):
    setup_logging(settings(tmp_path))
    logging.getLogger("knowledge.store").info("stored article %d", 12)
    logging.getLogger("knowledge.store").debug("not at INFO")
    err = capsys.readouterr().err
    pattern = r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d INFO knowledge\.store: stored article 12$"
    assert re.match(pattern, err.strip())
    logged = (tmp_path / "archivist.log").read_text(encoding="utf-8").strip()
    assert re.match(pattern, logged)
    assert "not at INFO" not in err + logged


def test_json_lines_with_extra_fields_and_exceptions(tmp_path, capsys):
    setup_logging(settings(tmp_path, log_format="json"), stream=None)
    log = logging.getLogger("bot.cogs.ask")
    log.warning("slow answer", extra={"guild_id": 42, "ms": 812.5})
    try:
        raise ValueError("bad thing")
    except ValueError:
        log.exception("failed")
    lines = (tmp_path / "archivist.log").read_text(encoding="utf-8").splitlines()
    first, second = (json.loads(line) for line in lines)
    assert {"ts", "level", "logger", "msg"} <= set(first)
    assert (first["level"], first["logger"]) == ("WARNING", "bot.cogs.ask")
    assert first["msg"] == "slow answer"
    assert (first["guild_id"], first["ms"]) == (42, 812.5)
    assert second["level"] == "ERROR" and "ValueError: bad thing" in second["exc"]
    assert [json.loads(line)["msg"] for line in capsys.readouterr().err.splitlines()] == [
        "slow answer",
        "failed",
    ]


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_the_token_never_reaches_a_log_line(tmp_path, capsys, log_format):
    setup_logging(settings(tmp_path, log_format=log_format))
    logging.getLogger("discord.http").warning("login with token %s failed", TOKEN)
    logging.getLogger("bot").error("header", extra={"authorization": f"Bot {TOKEN}"})
    written = capsys.readouterr().err + (tmp_path / "archivist.log").read_text(encoding="utf-8")
    assert TOKEN not in written
    assert "[token]" in written


def test_service_logs_to_stdout_and_setup_replaces_handlers(tmp_path, capsys):
    import sys

    setup_logging(settings(tmp_path))
    setup_logging(settings(tmp_path), stream=sys.stdout)  # the bot: its output is its log
    logging.getLogger("bot").info("ready")
    out, err = capsys.readouterr()
    assert out.count("INFO bot: ready") == 1 and err == ""
    ours = [h for h in logging.getLogger().handlers if getattr(h, "_archivist_handler", False)]
    assert len(ours) == 2  # console + file, not four


def test_verbose_quiet_and_console_level(tmp_path, capsys):
    plain = Settings()
    setup_logging(plain, console_level="WARNING")
    logging.getLogger("knowledge").info("hidden")
    logging.getLogger("knowledge").warning("shown")
    setup_logging(plain, quiet=True)
    logging.getLogger("knowledge").warning("hidden too")
    logging.getLogger("knowledge").error("errors still shown")
    setup_logging(plain, verbose=True)
    logging.getLogger("knowledge").debug("debug with -v")
    logging.getLogger("trafilatura").debug("library noise")
    err = capsys.readouterr().err
    assert "shown" in err and "errors still shown" in err and "debug with -v" in err
    assert "hidden" not in err and "library noise" not in err


@pytest.mark.parametrize("verbose", [False, True])
def test_extraction_library_warnings_show_only_with_verbose(tmp_path, capsys, verbose):
    setup_logging(settings(tmp_path), verbose=verbose, console_level="WARNING")
    logging.getLogger("trafilatura.core").warning("discarding data: %s", None)
    logging.getLogger("htmldate.core").warning("no date found")
    logging.getLogger("trafilatura.core").error("empty HTML tree")
    err = capsys.readouterr().err
    assert ("discarding data: None" in err) == verbose
    assert ("no date found" in err) == verbose
    # The user already gets our one-line refusal; the library's own error is for the log.
    assert ("empty HTML tree" in err) == verbose
    remove_handlers()
    assert "empty HTML tree" in (tmp_path / "archivist.log").read_text()

"""``python -m bot``: load settings, log to stdout, run the bot (same as ``archivist run``)."""

from __future__ import annotations

import sys

from bot.launcher import PROG, run
from runtime.logs import setup_logging
from runtime.settings import SettingsError, load_settings


def main() -> int:
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"{PROG}: {exc}", file=sys.stderr)
        return 2
    try:
        setup_logging(settings, stream=sys.stdout)
    except OSError as exc:
        print(f"{PROG}: cannot open LOG_FILE {settings.log_file}: {exc}", file=sys.stderr)
        return 2
    return run(settings)


if __name__ == "__main__":
    sys.exit(main())

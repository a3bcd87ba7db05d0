"""The engine is a library: the Discord layer and configuration loading stay outside it."""

from __future__ import annotations

import subprocess
import sys


def test_importing_knowledge_leaves_discord_and_dotenv_out():
    probe = (
        "import sys, knowledge, knowledge.service, knowledge.fetch, knowledge.sources;"
        "print(sorted(m for m in ('discord', 'dotenv', 'bot', 'archivist') if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"

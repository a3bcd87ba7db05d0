"""Shared fixtures: real stores on disk (SQLite) and on the local PostgreSQL."""

from __future__ import annotations

import contextlib
import io
import logging
import os
import ssl
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import create_engine, text

from archivist.cli import main
from archivist.logs import remove_handlers
from archivist.settings import _KEYS
from knowledge import Archivist, KnowledgeConfig
from tests._http_server import Route, TestServer, serve

pytest_plugins = ["tests.fakediscord.fixtures"]

#: The PostgreSQL this project's machines run; .ci/run exports it.
POSTGRES_URL = os.environ.get(
    "ARCHIVIST_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_reason() -> str | None:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        engine.dispose()
    except Exception as exc:  # noqa: BLE001 - any failure means "not available"
        return f"no PostgreSQL answers at {POSTGRES_URL}: {type(exc).__name__}"
    return None


@pytest.fixture(autouse=True, scope="session")
def lemma_cache(tmp_path_factory) -> None:
    """Decoded lemma dictionaries go to a folder of this run, not the user's cache;
    processes the tests start inherit it."""
    os.environ["ARCHIVIST_CACHE_DIR"] = str(tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="session")
def postgres_url() -> str:
    reason = _postgres_reason()
    if reason:
        pytest.skip(reason)
    return POSTGRES_URL


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'archive.db'}"


@pytest.fixture
def pg_schema_url(postgres_url):
    """A fresh PostgreSQL schema per test, dropped afterwards."""
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_url)
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{postgres_url}?options=-csearch_path%3D{schema}"
    yield url
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request, tmp_path) -> str:
    """Each backend in turn: a SQLite file, then a PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'archive.db'}"
    return request.getfixturevalue("pg_schema_url")


@pytest.fixture
def archive(sqlite_url):
    """The service over a fresh SQLite file."""
    service = Archivist(KnowledgeConfig(database_url=sqlite_url))
    yield service
    service.close()


@pytest.fixture
def any_archive(store_url):
    """The service over each backend."""
    service = Archivist(KnowledgeConfig(database_url=store_url))
    yield service
    service.close()


@pytest.fixture
def isolated_cli(monkeypatch, tmp_path):
    """For tests of the command line: no settings from this machine or a .env in the
    checkout, the working directory a temporary one, and logging left as found."""
    for key in _KEYS:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.chdir(tmp_path)
    root = logging.getLogger()
    level = root.level
    yield
    remove_handlers()
    root.setLevel(level)


@pytest.fixture
def http_server() -> Iterator[Callable[..., TestServer]]:
    """Start real HTTP servers on 127.0.0.1 for the test; all stop when it ends.

    ``http_server(routes, tls=None)`` returns the running server (its ``url(path)`` and
    the ``requests`` it saw); routes and replies are in ``tests/_http_server.py``.
    """
    with contextlib.ExitStack() as running:

        def start(routes: dict[str, Route], tls: ssl.SSLContext | None = None) -> TestServer:
            return running.enter_context(serve(routes, tls))

        yield start


@dataclass
class Run:
    """What one run of the command line left: exit status, standard output and error."""

    code: int
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.out.splitlines()


@pytest.fixture
def run_cli(capsys, monkeypatch, isolated_cli) -> Callable[..., Run]:
    """``run_cli(database_url, *args, stdin=None)`` runs ``archivist --database URL ARGS...``
    through ``main()``, feeding ``stdin`` (a string or a stream) when given."""

    def run(database_url: str, *args: str, stdin: str | io.TextIOBase | None = None) -> Run:
        if stdin is not None:
            stream = io.StringIO(stdin) if isinstance(stdin, str) else stdin
            monkeypatch.setattr(sys, "stdin", stream)
        code = main(["--database", database_url, *args])
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run

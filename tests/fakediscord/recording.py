"""What the fake saw: every HTTP call, and the waiting primitive tests build on.

Waiting is event-driven: anything that changes the fake's state calls ``notify()``, and
``wait_until`` re-checks its predicate then (and every few milliseconds, for predicates
on the client's state). The timeout is only a safety bound so a broken
bot fails a test instead of hanging it; nothing here measures or asserts on time.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

DEFAULT_TIMEOUT = 5.0
RECHECK_INTERVAL = 0.01


@dataclass(frozen=True)
class UploadedFile:
    """One file part of a multipart request (``files[0]``, ``files[1]``, ...)."""

    field: str
    filename: str
    content_type: str
    data: bytes


@dataclass(eq=False)
class Call:
    """One HTTP request the client made to the fake.

    Attributes:
        method: "GET", "POST", ...
        path: The API path without the ``/api/v10`` prefix, e.g. ``/channels/42/messages``;
            CDN downloads keep their own path (``/attachments/...``).
        query: Query-string parameters.
        json: The JSON body; for multipart requests, the parsed ``payload_json`` part.
        files: File parts of a multipart body.
        status: The status the fake answered with.
        response: The JSON the fake answered with (None for 204 and binary bodies).
        known: False when no fake route matched (answered 404); see ``unknown_calls``.
        reason: The X-Audit-Log-Reason header, if any.
    """

    method: str
    path: str
    query: dict[str, str] = field(default_factory=dict)
    json: Any = None
    files: list[UploadedFile] = field(default_factory=list)
    status: int = 0
    response: Any = None
    known: bool = True
    reason: str | None = None
    index: int = -1

    def __repr__(self) -> str:
        return f"<Call #{self.index} {self.method} {self.path} -> {self.status}>"


class Recorder:
    """Call log plus change notification; the base of ``FakeDiscord``."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.errors: list[BaseException] = []  # exceptions raised inside the fake itself
        self._waiters: list[asyncio.Future[None]] = []
        self._consumed: set[int] = set()

    def record(self, call: Call) -> Call:
        call.index = len(self.calls)
        self.calls.append(call)
        self.notify()
        return call

    def notify(self) -> None:
        """Wake every ``wait_until``; call after any state change."""
        waiters, self._waiters = self._waiters, []
        for fut in waiters:
            if not fut.done():
                fut.set_result(None)

    async def wait_until(
        self,
        predicate: Callable[[], T],
        *,
        timeout: float = DEFAULT_TIMEOUT,
        what: str = "a condition",
    ) -> T:
        """Return ``predicate()``'s first truthy value, re-checking after every change to the
        fake and every few milliseconds (for conditions on the client's side).

        Raises:
            AssertionError: After ``timeout`` seconds (a safety bound), listing recent calls.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            self._raise_internal_errors()
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise AssertionError(
                    f"fake Discord: gave up waiting for {what} after {timeout:g}s.\n"
                    + self.describe_calls()
                )
            fut: asyncio.Future[None] = loop.create_future()
            self._waiters.append(fut)
            # Also re-check now and then: predicates may look at the client's state
            # (``lambda: bot.seen``), which changes without telling the fake.
            await asyncio.wait({fut}, timeout=min(remaining, RECHECK_INTERVAL))

    async def wait_for_call(
        self,
        method: str | Callable[[Call], bool],
        path: str | None = None,
        *,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> Call:
        """Wait for a call and return it; each call is returned by at most one wait.

        Args:
            method: An HTTP method ("POST"), or a predicate ``Call -> bool``.
            path: A regex that must match the whole path, e.g. ``r"/channels/\\d+/messages"``.
            timeout: Safety bound in seconds.

        Returns:
            The oldest matching call not returned by an earlier ``wait_for_call``, so two
            waits in a row yield the first and the second reply.
        """
        match = _call_matcher(method, path)
        what = f"{method} {path or ''}".strip() if isinstance(method, str) else "a matching call"

        def find() -> Call | None:
            for call in self.calls:
                if call.index not in self._consumed and match(call):
                    return call
            return None

        call = await self.wait_until(find, timeout=timeout, what=f"call {what}")
        self._consumed.add(call.index)
        return call

    def calls_to(
        self,
        method: str | Callable[[Call], bool],
        path: str | None = None,
    ) -> list[Call]:
        """All recorded calls matching (like ``wait_for_call``, without waiting or consuming)."""
        match = _call_matcher(method, path)
        return [c for c in self.calls if match(c)]

    @property
    def unknown_calls(self) -> list[Call]:
        """Calls no fake route knew (answered 404): what the bot tried that the fake lacks."""
        return [c for c in self.calls if not c.known]

    def describe_calls(self, last: int = 25) -> str:
        lines = [
            f"  {c.method} {c.path} -> {c.status}" + ("" if c.known else "  (unknown route)")
            for c in self.calls[-last:]
        ]
        return "recorded calls (latest last):\n" + ("\n".join(lines) or "  (none)")

    def _raise_internal_errors(self) -> None:
        if self.errors:
            raise AssertionError(
                f"fake Discord crashed handling a request: {self.errors[0]!r}"
            ) from self.errors[0]


def _call_matcher(
    method: str | Callable[[Call], bool],
    path: str | None,
) -> Callable[[Call], bool]:
    if callable(method):
        return method
    wanted = method.upper()
    rx = re.compile(path) if path is not None else None
    return lambda c: c.method == wanted and (rx is None or rx.fullmatch(c.path) is not None)

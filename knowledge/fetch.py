"""Fetching one web page, safely and within fixed bounds.

Every hop of a request is vetted before a byte is sent: only ``http`` and
``https``, and every address the host resolves to must be one we may contact.
The connection then goes to the vetted address itself (the ``Host`` header and
TLS SNI / certificate check still use the host name), so a second DNS answer
cannot swap in an internal address (DNS rebinding). Which addresses we may
contact is :mod:`knowledge.addresses`' policy.
"""

from __future__ import annotations

import contextlib
import http
import ipaddress
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from http.client import HTTPException
from typing import TYPE_CHECKING, TypeVar
from urllib.parse import quote, urljoin, urlsplit

import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection

from knowledge.addresses import IPAddress, address_problem, resolve_host
from knowledge.errors import (
    BlockedAddress,
    FetchError,
    HTTPStatusError,
    InputError,
    TooLarge,
    Unreachable,
    UnsupportedContent,
)
from knowledge.limits import format_size

if TYPE_CHECKING:
    from urllib3.response import BaseHTTPResponse

    from knowledge.config import KnowledgeConfig

log = logging.getLogger(__name__)

#: ``resolver(host, port)`` returns the addresses to try, or raises ``OSError``.
Resolver = Callable[[str, int], Sequence[str]]

#: Content types we read; anything else is refused before the body is downloaded.
PAGE_TYPES = frozenset(
    {"text/html", "application/xhtml+xml", "text/plain", "text/markdown", "text/x-markdown"}
)
#: Content types that say nothing; the caller sniffs the body instead.
UNTYPED = frozenset({"application/octet-stream", "binary/octet-stream"})
REDIRECTS = frozenset({301, 302, 303, 307, 308})
CHUNK_BYTES = 64 * 1024


_E = TypeVar("_E", bound=BaseException)


@dataclass(frozen=True)
class FetchedPage:
    """A successful response: where we ended up and what it sent."""

    url: str  # after redirects
    status: int
    content_type: str | None  # lower-case media type, None when absent or meaningless
    charset: str | None
    body: bytes


def fetch_url(
    url: str, config: KnowledgeConfig, *, resolver: Resolver | None = None
) -> FetchedPage:
    """Download one page, following redirects, within the configured bounds.

    Args:
        url: An ``http`` or ``https`` URL.
        config: Limits, timeouts, user agent and the private-address setting.
        resolver: Looks up a host's addresses; the system resolver by default.

    Raises:
        InputError: ``url`` is not a usable web address.
        UnsupportedContent: not http(s), or the server sent something other than a page.
        BlockedAddress: a hop points at an address we refuse to contact.
        Unreachable: DNS failure, refused connection, timeout, broken TLS.
        HTTPStatusError: the server answered with an error status.
        TooLarge: the body is over ``config.max_download_bytes``.
        FetchError: too many redirects or a redirect loop.
    """
    resolve = resolver or resolve_host
    deadline = time.monotonic() + config.fetch_timeout
    url = current = url.strip()
    seen = {current}
    for hop in range(config.max_redirects + 1):
        target = _Target.parse(current)
        addresses = _vetted_addresses(target, config, resolve, deadline)
        exchange, response = _open(target, addresses, config, deadline)
        try:
            if response.status in REDIRECTS:
                location = response.headers.get("Location")
                if not location:
                    raise HTTPStatusError(
                        f"{_show(current)} answered {_status_line(response)} "
                        "without saying where to go",
                        response.status,
                    )
                following = urljoin(current, location.strip())
                log.debug("Redirect %d from %s to %s", hop + 1, current, following)
                if following in seen:
                    raise FetchError(f"{_show(url)} redirects in a loop")
                seen.add(following)
                current = following
                continue
            return _read_page(current, target, exchange, response, config)
        finally:
            exchange.close()
    raise FetchError(f"{_show(url)} redirected more than {config.max_redirects} times")


def parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    """Split a Content-Type header into (lower-case media type, charset)."""
    if not value:
        return None, None
    media, *params = value.split(";")
    charset = None
    for param in params:
        key, _, val = param.partition("=")
        if key.strip().lower() == "charset":
            charset = val.strip().strip("\"'").lower() or None
    return media.strip().lower() or None, charset


@dataclass(frozen=True)
class _Target:
    """One hop's URL, taken apart and checked."""

    url: str
    scheme: str
    host: str  # IDNA-encoded, IPv6 without brackets
    port: int
    path: str  # with query, percent-encoded

    @classmethod
    def parse(cls, url: str) -> _Target:
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            raise InputError(f"{_show(url)} is not a valid web address") from None
        scheme = parts.scheme.lower()
        if scheme not in ("http", "https"):
            raise UnsupportedContent(f"Only http and https links can be fetched, not {_show(url)}")
        if not parts.hostname:
            raise InputError(f"{_show(url)} is not a valid web address (no host name)")
        if parts.username is not None or parts.password is not None:
            raise InputError("Links with a user name or password in them are not fetched")
        try:
            host = parts.hostname.encode("idna").decode("ascii")
        except UnicodeError:
            raise InputError(f"{_show(url)} has a host name that cannot be looked up") from None
        # Spaces and non-ASCII would make an invalid request line; keep existing escapes.
        path = quote(parts.path or "/", safe="/%:@!$&'()*+,;=-._~")
        if parts.query:
            path += "?" + quote(parts.query, safe="/%:@!$&'()*+,;=-._~?")
        default = 443 if scheme == "https" else 80
        return cls(url, scheme, host, port or default, path)

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        default = 443 if self.scheme == "https" else 80
        return host if self.port == default else f"{host}:{self.port}"


def _vetted_addresses(
    target: _Target, config: KnowledgeConfig, resolve: Resolver, deadline: float
) -> list[IPAddress]:
    """All addresses of the hop's host, each one checked, or BlockedAddress / Unreachable."""
    try:
        addresses = [ipaddress.ip_address(target.host)]
    except ValueError:
        addresses = [
            ipaddress.ip_address(a.split("%")[0])
            for a in _lookup(target, resolve, deadline, config.fetch_timeout)
        ]
    if not addresses:
        raise Unreachable(f"Could not find the host {target.host}")
    for ip in addresses:
        problem = address_problem(ip, allow_private=config.allow_private_urls)
        if problem is not None:
            log.debug("Refusing %s: %s is %s", target.url, ip, problem)
            raise BlockedAddress(f"Refusing to fetch {_show(target.url)}: {ip} is {problem}")
    return addresses


def _lookup(target: _Target, resolve: Resolver, deadline: float, budget: float) -> Sequence[str]:
    """Run the resolver in a helper thread: getaddrinfo itself has no timeout."""
    result: list[Sequence[str]] = []
    failure: list[Exception] = []

    def work() -> None:
        try:
            result.append(resolve(target.host, target.port))
        except (OSError, UnicodeError, ValueError) as exc:
            failure.append(exc)

    worker = threading.Thread(target=work, name=f"resolve {target.host}", daemon=True)
    worker.start()
    worker.join(max(0.0, deadline - time.monotonic()))
    if failure:
        raise Unreachable(f"Could not find the host {target.host}")
    if not result:
        raise Unreachable(f"Looking up {target.host} took longer than {budget:g} s")
    return result[0]


class _Exchange:
    """One request on its own connection, watched by the deadline."""

    def __init__(self, conn: HTTPConnection, watchdog: _Watchdog) -> None:
        self.conn = conn
        self.watchdog = watchdog

    def close(self) -> None:
        self.watchdog.stop()
        self.conn.close()


def _open(
    target: _Target, addresses: list[IPAddress], config: KnowledgeConfig, deadline: float
) -> tuple[_Exchange, BaseHTTPResponse]:
    """Send the request to the first vetted address that accepts; return its response."""
    last: Unreachable | None = None
    for ip in addresses:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        timeout = min(config.connect_timeout, remaining)
        conn: HTTPConnection
        if target.scheme == "https":
            conn = HTTPSConnection(
                str(ip),
                target.port,
                timeout=timeout,
                server_hostname=target.host,
                assert_hostname=target.host,
                cert_reqs="CERT_REQUIRED",
            )
        else:
            conn = HTTPConnection(str(ip), target.port, timeout=timeout)
        exchange = _Exchange(conn, _Watchdog(conn, remaining))
        log.debug("Fetching %s from %s", target.url, ip)
        try:
            conn.connect()
            exchange.watchdog.watch(conn.sock)
            # Past the handshake each read may take what is left of the budget.
            conn.timeout = max(0.001, deadline - time.monotonic())
            conn.request(
                "GET",
                target.path,
                headers={
                    "Host": target.host_header,
                    "User-Agent": config.user_agent,
                    "Accept": "text/html,application/xhtml+xml,text/plain;q=0.9,"
                    "text/markdown;q=0.9,*/*;q=0.1",
                    # Compressed bodies could expand past every limit before we count them.
                    "Accept-Encoding": "identity",
                    "Connection": "close",
                },
                preload_content=False,
                decode_content=False,
            )
            return exchange, conn.getresponse()
        except (OSError, HTTPException, urllib3.exceptions.HTTPError) as exc:
            exchange.close()
            log.debug("Fetching %s from %s failed: %r", target.url, ip, exc)
            last = _unreachable(target, exc, config, exchange.watchdog.fired)
            if exchange.watchdog.fired:
                break  # the next address would get no time either
    raise last or Unreachable(
        f"{target.host} took longer than {config.fetch_timeout:g} s to answer"
    )


def _read_page(
    url: str,
    target: _Target,
    exchange: _Exchange,
    response: BaseHTTPResponse,
    config: KnowledgeConfig,
) -> FetchedPage:
    """Check status and headers, then read the body up to the size limit."""
    status = response.status
    if status >= 300 or status < 200:
        raise HTTPStatusError(f"{_show(url)} answered {_status_line(response)}", status)
    media, charset = parse_content_type(response.headers.get("Content-Type"))
    if media in UNTYPED:
        media = None
    if media is not None and media not in PAGE_TYPES:
        raise UnsupportedContent(f"{_show(url)} is {media}, not a web page or text")
    encoding = (response.headers.get("Content-Encoding") or "identity").strip().lower()
    if encoding != "identity":
        raise UnsupportedContent(
            f"{_show(url)} sent {encoding}-compressed content, which we do not read"
        )
    limit = config.max_download_bytes
    too_large = TooLarge(f"{_show(url)} is larger than the {format_size(limit)} limit")
    length = response.headers.get("Content-Length")
    if length is not None and length.strip().isdigit() and int(length) > limit:
        raise too_large
    body = bytearray()
    try:
        while chunk := response.read1(CHUNK_BYTES):
            if exchange.watchdog.fired:
                break  # a trickle that beat every read timeout still ends here
            body += chunk
            if len(body) > limit:
                raise too_large
    except (OSError, HTTPException, urllib3.exceptions.HTTPError) as exc:
        raise _unreachable(target, exc, config, exchange.watchdog.fired) from None
    if exchange.watchdog.fired:
        # The watchdog ends a slow body by shutting the socket, which reads as EOF.
        raise _unreachable(target, TimeoutError(), config, True)
    log.debug("Fetched %s: %d, %s, %d bytes", url, status, media, len(body))
    return FetchedPage(url, status, media, charset, bytes(body))


class _Watchdog:
    """Cuts the connection when the whole-request deadline passes.

    Socket timeouts bound each read, not their sum: a server sending one byte a
    second never trips them. Shutting the socket down from a timer does.

    The socket is kept from the moment it connects: when a response will close
    the connection, http.client hands the socket to the response and sets the
    connection's ``sock`` to None, so by the time the body trickles in the
    connection no longer knows it.
    """

    def __init__(self, conn: HTTPConnection, seconds: float) -> None:
        self._conn = conn
        self._sock: socket.socket | None = None
        self.fired = False
        self._timer = threading.Timer(max(0.0, seconds), self._fire)
        self._timer.daemon = True
        self._timer.start()

    def watch(self, sock: socket.socket | None) -> None:
        """Remember the connected socket, whoever owns it later."""
        self._sock = sock
        if self.fired:
            self._fire()  # the deadline passed while connecting

    def _fire(self) -> None:
        self.fired = True
        sock = self._sock or self._conn.sock
        if sock is not None:
            # The plain socket method: an SSL socket's own shutdown would tear
            # down its TLS state under a reader in another thread.
            with contextlib.suppress(OSError):
                socket.socket.shutdown(sock, socket.SHUT_RDWR)

    def stop(self) -> None:
        self._timer.cancel()


def _unreachable(
    target: _Target, exc: BaseException, config: KnowledgeConfig, timed_out: bool
) -> Unreachable:
    host = target.host
    # urllib3's NewConnectionError subclasses ConnectTimeoutError: test it first.
    if isinstance(exc, urllib3.exceptions.NewConnectionError) and not timed_out:
        if _find(exc, ConnectionRefusedError):
            return Unreachable(f"Could not connect to {host}: connection refused")
        return Unreachable(f"Could not connect to {host}")
    if isinstance(exc, urllib3.exceptions.ConnectTimeoutError) and not timed_out:
        return Unreachable(
            f"{host} did not accept a connection within {config.connect_timeout:g} s"
        )
    if timed_out or _find(exc, TimeoutError) or _find(exc, urllib3.exceptions.TimeoutError):
        return Unreachable(f"{host} took longer than {config.fetch_timeout:g} s to answer")
    cert = _find(exc, ssl.SSLCertVerificationError)
    if cert is not None or _find(exc, ssl.SSLError) or _find(exc, urllib3.exceptions.SSLError):
        reason = cert.verify_message if cert and cert.verify_message else "TLS handshake failed"
        return Unreachable(f"Could not open a secure connection to {host}: {reason}")
    if _find(exc, ConnectionRefusedError):
        return Unreachable(f"Could not connect to {host}: connection refused")
    return Unreachable(f"The connection to {host} failed before the page was complete")


def _find(exc: BaseException, kind: type[_E]) -> _E | None:
    """The first exception of ``kind`` in ``exc``'s cause/context chain."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, kind):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _status_line(response: BaseHTTPResponse) -> str:
    reason = response.reason
    if not reason:
        try:
            reason = http.HTTPStatus(response.status).phrase
        except ValueError:
            reason = ""
    return f"{response.status} {reason}".strip()


def _show(url: str, limit: int = 120) -> str:
    """A URL short enough for a one-line message."""
    url = " ".join(url.split())
    return url if len(url) <= limit else url[: limit - 1] + "…"

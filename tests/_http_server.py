"""A real HTTP server on 127.0.0.1 for URL-ingestion tests.

Routes are plain functions taking the request handler; helpers below write the
common replies. Every request is recorded so a test can check what reached the
server (or that nothing did).
"""

from __future__ import annotations

import contextlib
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Route = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Seen:
    path: str
    headers: dict[str, str]


@dataclass
class TestServer:
    base_url: str
    routes: dict[str, Route]
    requests: list[Seen] = field(default_factory=list)

    __test__ = False  # not a pytest test class

    @property
    def port(self) -> int:
        return int(self.base_url.rsplit(":", 1)[1])

    def url(self, path: str) -> str:
        return self.base_url + path

    def paths(self) -> list[str]:
        return [seen.path for seen in self.requests]


@contextlib.contextmanager
def serve(routes: dict[str, Route], tls: ssl.SSLContext | None = None) -> Iterator[TestServer]:
    """Run a threaded server with ``routes`` until the block ends (HTTPS with ``tls``)."""
    holder: list[TestServer] = []

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
            server = holder[0]
            server.requests.append(Seen(self.path, dict(self.headers.items())))
            route = server.routes.get(self.path.split("?")[0])
            if route is None:
                send(self, 404, b"no such page", "text/plain")
            else:
                with contextlib.suppress(OSError):
                    route(self)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            pass

    httpd = _Server(("127.0.0.1", 0), Handler)
    scheme = "http"
    if tls is not None:
        httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
        scheme = "https"
    holder.append(TestServer(f"{scheme}://127.0.0.1:{httpd.server_address[1]}", routes))
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.daemon = True
    thread.start()
    try:
        yield holder[0]
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # clients hanging up mid-reply is what several tests are about


def send(
    handler: BaseHTTPRequestHandler,
    status: int,
    body: bytes | str,
    content_type: str | None = "text/html; charset=utf-8",
    headers: dict[str, str] | None = None,
) -> None:
    """A complete reply with Content-Length."""
    data = body.encode("utf-8") if isinstance(body, str) else body
    handler.send_response(status)
    if content_type is not None:
        handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(data)))
    handler.send_header("Connection", "close")
    for key, value in (headers or {}).items():
        handler.send_header(key, value)
    handler.end_headers()
    handler.wfile.write(data)


def page(body: bytes | str, content_type: str | None = "text/html; charset=utf-8") -> Route:
    return lambda h: send(h, 200, body, content_type)


def redirect(location: str, status: int = 302) -> Route:
    return lambda h: send(h, status, b"", "text/plain", {"Location": location})


def status(code: int, body: str = "error page") -> Route:
    return lambda h: send(h, code, body, "text/html")


def endless(content_type: str = "text/plain", chunk: bytes = b"x" * 65536) -> Route:
    """A body without Content-Length that never ends (until the client hangs up)."""

    def route(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", content_type)
        h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True
        for _ in range(2000):  # 128 MB at most, should the client never stop
            h.wfile.write(chunk)

    return route


def trickle(declared_length: int = 100_000, every: float = 0.05, steps: int = 100) -> Route:
    """Headers at once, then one byte every ``every`` seconds."""

    def route(h: BaseHTTPRequestHandler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/plain")
        h.send_header("Content-Length", str(declared_length))
        h.end_headers()
        for _ in range(steps):
            h.wfile.write(b"a")
            h.wfile.flush()
            time.sleep(every)

    return route


def trickle_headers(every: float = 0.05, steps: int = 100) -> Route:
    """A status line, then header bytes one at a time: no read ever waits long."""

    def route(h: BaseHTTPRequestHandler) -> None:
        h.wfile.write(b"HTTP/1.1 200 OK\r\n")
        h.wfile.flush()
        for _ in range(steps):
            h.wfile.write(b"X")
            h.wfile.flush()
            time.sleep(every)

    return route


def stall(seconds: float = 2.0) -> Route:
    """Say nothing for a while."""
    return lambda h: time.sleep(seconds)

"""fetch_url against a real HTTP server on 127.0.0.1; refusals happen before any connection."""

from __future__ import annotations

import ipaddress
import shutil
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler

import pytest

from knowledge.addresses import address_problem
from knowledge.config import KnowledgeConfig
from knowledge.errors import (
    BlockedAddress,
    FetchError,
    HTTPStatusError,
    InputError,
    KnowledgeError,
    TooLarge,
    Unreachable,
    UnsupportedContent,
)
from knowledge.fetch import fetch_url, parse_content_type
from knowledge.limits import format_size
from tests._http_server import (
    endless,
    page,
    redirect,
    send,
    stall,
    status,
    trickle,
    trickle_headers,
)

NOTE = "Vaporul de Sulina pleacă la 8:30. The ferry to Sulina leaves at 8:30.\n"

# Loopback allowed (the test server lives there), small limits so every test is quick.
LOCAL = KnowledgeConfig(
    allow_private_urls=True,
    connect_timeout=0.5,
    fetch_timeout=0.5,
    max_download_bytes=100_000,
    max_redirects=3,
    user_agent="ArchivistTest/1.0",
)
STRICT = KnowledgeConfig(connect_timeout=0.5, fetch_timeout=0.5)


def _declared_huge(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/plain")
    h.send_header("Content-Length", str(50_000_000))
    h.end_headers()
    h.wfile.write(b"only the start of it")


def _gzip(h: BaseHTTPRequestHandler) -> None:
    send(h, 200, b"\x1f\x8b\x08\x00", "text/html", {"Content-Encoding": "gzip"})


ROUTES = {
    "/note": page(NOTE, "text/plain; charset=utf-8"),
    "/untyped": page("<!doctype html><p>hello</p>", None),
    "/hop1": redirect("/hop2", 301),
    "/hop2": redirect("/hop3", 307),
    "/hop3": redirect("/note", 308),
    "/loop-a": redirect("/loop-b"),
    "/loop-b": redirect("/loop-a"),
    **{f"/chain/{i}": redirect(f"/chain/{i + 1}") for i in range(10)},
    "/nowhere": lambda h: send(h, 302, b"", "text/plain"),
    "/missing": status(404),
    "/crash": status(500),
    "/huge-declared": _declared_huge,
    "/huge-endless": endless(),
    "/slow-body": trickle(),
    "/slow-headers": trickle_headers(),
    "/silent": stall(1.5),
    "/report.pdf": page(b"%PDF-1.7\n...", "application/pdf"),
    "/photo.png": page(b"\x89PNG\r\n\x1a\n....", "image/png"),
    "/compressed": _gzip,
    "/to-metadata": redirect("http://169.254.169.254/latest/meta-data/"),
    "/to-ftp": redirect("ftp://files.example/archive.txt"),
}


@pytest.fixture
def server(http_server):
    return http_server(ROUTES)


def _one_line(err: KnowledgeError) -> str:
    message = str(err)
    assert message and "\n" not in message
    return message


def test_fetches_a_text_page_and_sends_our_user_agent(server):
    fetched = fetch_url(server.url("/note"), LOCAL)

    assert fetched.body.decode("utf-8") == NOTE
    assert (fetched.status, fetched.content_type, fetched.charset) == (200, "text/plain", "utf-8")
    assert fetched.url == server.url("/note")
    seen = server.requests[-1]
    assert seen.headers["User-Agent"] == "ArchivistTest/1.0"
    assert seen.headers["Host"] == f"127.0.0.1:{server.port}"


def test_missing_content_type_is_left_for_sniffing(server):
    fetched = fetch_url(server.url("/untyped"), LOCAL)
    assert fetched.content_type is None
    assert fetched.body.startswith(b"<!doctype html>")


def test_follows_a_redirect_chain_to_the_final_url(server):
    fetched = fetch_url(server.url("/hop1"), LOCAL)

    assert fetched.url == server.url("/note")
    assert fetched.body.decode("utf-8") == NOTE
    assert server.paths()[-4:] == ["/hop1", "/hop2", "/hop3", "/note"]


def test_redirect_loop_is_reported(server):
    with pytest.raises(FetchError) as caught:
        fetch_url(server.url("/loop-a"), LOCAL)
    assert _one_line(caught.value) == f"{server.url('/loop-a')} redirects in a loop"


def test_too_many_redirects_stop_at_the_limit(server):
    before = len(server.requests)
    with pytest.raises(FetchError) as caught:
        fetch_url(server.url("/chain/0"), LOCAL)

    assert "redirected more than 3 times" in _one_line(caught.value)
    assert len(server.requests) - before == 4  # the first request and three redirects


def test_redirect_without_location_is_an_error(server):
    with pytest.raises(HTTPStatusError) as caught:
        fetch_url(server.url("/nowhere"), LOCAL)
    assert "302 Found without saying where to go" in _one_line(caught.value)


@pytest.mark.parametrize(
    ("path", "code", "words"), [("/missing", 404, "404 Not Found"), ("/crash", 500, "500")]
)
def test_error_status_is_reported_with_its_code(server, path, code, words):
    with pytest.raises(HTTPStatusError) as caught:
        fetch_url(server.url(path), LOCAL)

    assert caught.value.status == code
    assert _one_line(caught.value).startswith(f"{server.url(path)} answered {words}")


@pytest.mark.parametrize("path", ["/huge-declared", "/huge-endless"])
def test_body_over_the_limit_is_refused(server, path):
    with pytest.raises(TooLarge) as caught:
        fetch_url(server.url(path), LOCAL)
    assert _one_line(caught.value) == f"{server.url(path)} is larger than the 100 kB limit"


@pytest.mark.parametrize("path", ["/slow-body", "/slow-headers", "/silent"])
def test_slow_server_is_cut_off_at_the_deadline(server, path):
    # Each byte of /slow-body and /slow-headers comes well within any per-read
    # timeout; only the whole-request deadline stops them.
    with pytest.raises(Unreachable) as caught:
        fetch_url(server.url(path), LOCAL)
    assert _one_line(caught.value) == "127.0.0.1 took longer than 0.5 s to answer"


class _ClosingTrickle:
    """A complete body sent one byte at a time on a connection the server will close.

    ``Connection: close`` (or no Content-Length) makes http.client hand the socket
    to the response, the case the deadline once missed. The route records whether
    it sent everything or the client hung up first: a fetch that ignores the
    deadline reads the whole body, so the server finishes.
    """

    def __init__(self, *, declare_length: bool, steps: int = 100, every: float = 0.05) -> None:
        self.declare_length, self.steps, self.every = declare_length, steps, every
        self.finished = threading.Event()
        self.outcome = "not served"

    def __call__(self, h: BaseHTTPRequestHandler) -> None:
        try:
            h.send_response(200)
            h.send_header("Content-Type", "text/plain")
            if self.declare_length:
                h.send_header("Content-Length", str(self.steps))
            h.send_header("Connection", "close")
            h.end_headers()
            h.close_connection = True
            for _ in range(self.steps):
                h.wfile.write(b"a")
                h.wfile.flush()
                time.sleep(self.every)
            self.outcome = "sent everything"
        except OSError:
            self.outcome = "client hung up"
        finally:
            self.finished.set()


@pytest.mark.parametrize("declare_length", [True, False], ids=["content-length", "until-close"])
def test_deadline_cuts_a_trickled_body_on_a_closing_connection(http_server, declare_length):
    route = _ClosingTrickle(declare_length=declare_length)
    patient = KnowledgeConfig(
        allow_private_urls=True, connect_timeout=0.5, fetch_timeout=1.0,
        max_download_bytes=10_000_000,  # only the deadline can stop this body
    )  # fmt: skip
    running = http_server({"/trickle": route})
    with pytest.raises(Unreachable) as caught:
        fetch_url(running.url("/trickle"), patient)
    route.finished.wait(timeout=30)
    assert _one_line(caught.value) == "127.0.0.1 took longer than 1 s to answer"
    assert route.outcome == "client hung up"


def test_refused_connection_names_the_host():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(Unreachable) as caught:
        fetch_url(f"http://127.0.0.1:{port}/", LOCAL)
    assert _one_line(caught.value) == "Could not connect to 127.0.0.1: connection refused"


@pytest.mark.parametrize(
    ("path", "media"), [("/report.pdf", "application/pdf"), ("/photo.png", "image/png")]
)
def test_content_that_is_not_a_page_is_refused(server, path, media):
    with pytest.raises(UnsupportedContent) as caught:
        fetch_url(server.url(path), LOCAL)
    assert _one_line(caught.value) == f"{server.url(path)} is {media}, not a web page or text"


def test_compressed_body_we_did_not_ask_for_is_refused(server):
    with pytest.raises(UnsupportedContent, match="gzip-compressed"):
        fetch_url(server.url("/compressed"), LOCAL)
    assert server.requests[-1].headers["Accept-Encoding"] == "identity"


@pytest.mark.parametrize(
    "url", ["ftp://files.example/a.txt", "file:///etc/passwd", "javascript:alert(1)"]
)
def test_only_http_and_https_are_fetched(url):
    with pytest.raises(UnsupportedContent) as caught:
        fetch_url(url, LOCAL)
    assert _one_line(caught.value) == f"Only http and https links can be fetched, not {url}"


@pytest.mark.parametrize(
    "url", ["http://", "http:///path", "https://example.org:99999/", "http://a:b@example.org/"]
)
def test_malformed_urls_are_input_errors(url):
    with pytest.raises(InputError) as caught:
        fetch_url(url, LOCAL)
    _one_line(caught.value)


@pytest.mark.parametrize(
    ("host", "shown", "kind"),
    [
        ("127.0.0.1", "127.0.0.1", "a loopback address"),
        ("[::1]", "::1", "a loopback address"),
        ("10.0.0.1", "10.0.0.1", "a private address"),
        ("192.168.1.20", "192.168.1.20", "a private address"),
        ("172.16.5.4", "172.16.5.4", "a private address"),
        ("100.64.0.1", "100.64.0.1", "a carrier-grade NAT address"),
        ("169.254.169.254", "169.254.169.254", "a cloud metadata address"),
        ("169.254.10.10", "169.254.10.10", "a link-local address"),
        ("[fe80::1]", "fe80::1", "a link-local address"),
        ("[fd12:3456::1]", "fd12:3456::1", "a private address"),
        ("[::ffff:10.0.0.1]", "::ffff:a00:1", "a private address"),
        ("0.0.0.0", "0.0.0.0", "an unspecified address"),
        ("224.0.0.1", "224.0.0.1", "a multicast address"),
        ("2130706433", "127.0.0.1", "a loopback address"),  # 127.0.0.1 as one number
    ],
)
def test_private_addresses_are_refused_by_default(host, shown, kind):
    url = f"http://{host}/latest/"
    with pytest.raises(BlockedAddress) as caught:
        fetch_url(url, STRICT)
    assert _one_line(caught.value) == f"Refusing to fetch {url}: {shown} is {kind}"


def test_refusal_happens_before_connecting(server):
    before = len(server.requests)
    for url in (server.url("/note"), f"http://localhost:{server.port}/note"):
        with pytest.raises(BlockedAddress, match="is a loopback address"):
            fetch_url(url, STRICT)
    assert len(server.requests) == before


@pytest.mark.parametrize(
    "url", ["http://169.254.169.254/", "http://0.0.0.0/", "http://[fd00:ec2::254]/"]
)
def test_metadata_and_unspecified_stay_refused_when_private_is_allowed(url):
    with pytest.raises(BlockedAddress):
        fetch_url(url, LOCAL)


def test_redirect_to_the_metadata_address_is_refused(server):
    with pytest.raises(BlockedAddress) as caught:
        fetch_url(server.url("/to-metadata"), LOCAL)

    assert _one_line(caught.value) == (
        "Refusing to fetch http://169.254.169.254/latest/meta-data/: "
        "169.254.169.254 is a cloud metadata address"
    )
    assert server.paths()[-1] == "/to-metadata"


def test_redirect_to_another_scheme_is_refused(server):
    with pytest.raises(UnsupportedContent, match="not ftp://files.example/archive.txt"):
        fetch_url(server.url("/to-ftp"), LOCAL)


def test_every_resolved_address_is_checked():
    def resolver(host: str, port: int) -> list[str]:
        return ["93.184.216.34", "10.0.0.5"]

    with pytest.raises(BlockedAddress) as caught:
        fetch_url("http://mixed.example/", STRICT, resolver=resolver)
    assert _one_line(caught.value) == (
        "Refusing to fetch http://mixed.example/: 10.0.0.5 is a private address"
    )


def test_connects_to_the_vetted_address_with_the_host_name_in_host(server):
    lookups: list[str] = []

    def resolver(host: str, port: int) -> list[str]:
        lookups.append(host)
        return ["127.0.0.1"]

    url = f"http://archivist.test:{server.port}/note"
    fetched = fetch_url(url, LOCAL, resolver=resolver)

    assert fetched.url == url
    assert lookups == ["archivist.test"]  # looked up once, then the vetted address is used
    assert server.requests[-1].headers["Host"] == f"archivist.test:{server.port}"


def test_dns_failure_names_the_host():
    def resolver(host: str, port: int) -> list[str]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    with pytest.raises(Unreachable) as caught:
        fetch_url("https://nowhere.example/news", STRICT, resolver=resolver)
    assert _one_line(caught.value) == "Could not find the host nowhere.example"


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")
def test_https_certificate_is_verified(tmp_path, http_server):
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    https = http_server({"/note": page(NOTE, "text/plain")}, tls=tls)
    with pytest.raises(Unreachable) as caught:
        fetch_url(https.url("/note"), LOCAL)
    assert https.requests == []
    message = _one_line(caught.value)
    assert message.startswith("Could not open a secure connection to 127.0.0.1:")
    assert "self-signed" in message or "certificate" in message


@pytest.mark.parametrize(
    ("address", "private_allowed", "expected"),
    [
        ("8.8.8.8", False, None),
        ("2606:4700::1111", False, None),
        ("::ffff:8.8.8.8", False, None),
        ("64:ff9b::808:808", False, None),  # NAT64 form of a public address
        ("64:ff9b::a00:1", False, "a private address"),  # NAT64 form of 10.0.0.1
        ("2002:a00:1::", False, "a private address"),  # 6to4 around 10.0.0.1
        ("10.1.2.3", True, None),
        ("127.0.0.1", True, None),
        ("169.254.169.254", True, "a cloud metadata address"),
        ("0.0.0.0", True, "an unspecified address"),
        ("240.0.0.1", True, "a reserved address"),
    ],
)
def test_address_policy(address, private_allowed, expected):
    ip = ipaddress.ip_address(address)
    assert address_problem(ip, allow_private=private_allowed) == expected


def test_small_helpers():
    assert format_size(5_000_000) == "5 MB"
    assert format_size(1_500) == "1.5 kB"
    assert format_size(999) == "999 bytes"
    assert parse_content_type('text/HTML; Charset="ISO-8859-2"') == ("text/html", "iso-8859-2")
    assert parse_content_type(None) == (None, None)

from __future__ import annotations

import pytest

from tests.functions.runtime.conftest import Server, run
from workspace.infra import addresses

PROBE = """async function onTrack(e, s) {
  try { const res = await fetch(s.url); return {status: res.status} }
  catch (err) { return {error: err.message, code: err.code} }
}"""


@pytest.fixture
def target(monkeypatch: pytest.MonkeyPatch):
    """A local server reachable only through the test-only name `public.test`."""
    srv = Server()
    srv.start()
    real = addresses.resolve

    async def resolve(host: str, port: int, *, allow_private: bool) -> str:
        if host == "public.test":
            return "127.0.0.1"
        return await real(host, port, allow_private=allow_private)

    monkeypatch.setattr("functions.runtime.fetch.resolve", resolve)
    monkeypatch.delenv("FUNCTIONS_ALLOW_PRIVATE_FETCH", raising=False)
    yield srv
    srv.stop()


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/",
        "http://10.0.0.1/",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
        "http://2130706433:{port}/",
        "http://0x7f000001:{port}/",
        "http://0.0.0.0:{port}/",
        "http://100.64.0.1/",
        "http://[fd00:ec2::254]/",
        "http://224.0.0.1/",
        "http://localhost:{port}/",
        "http://127.0.0.1.:{port}/",
        "http://localhost.:{port}/",
        "http://LOCALHOST.:{port}/",
        "http://api.localhost:{port}/",
        "http://127.1:{port}/",
        "http://0x7f.0.0.1.:{port}/",
        "http://[fec0::1]:{port}/",
        "http://[::ffff:7f00:1]:{port}/",
        "http://192.88.99.1/",
        # Spellings the URL parser (node-fetch 2.7's `new URL`) turns into a private address.
        "http://0177.0.0.1:{port}/",
        "http://0x7f.1:{port}/",
        "http://%31%32%37.0.0.1:{port}/",
        "http://\u2460\u2461\u2466.0.0.1:{port}/",
        "http://127\u30020\u30020\u30021:{port}/",
        "http://\uff11\uff12\uff17.0.0.1:{port}/",
        "http:\\\\127.0.0.1:{port}\\x",
        "http:127.0.0.1:{port}/",
        " http://user:pw@127.0.0.1:{port}/#frag ",
    ],
)
def test_ssrf_private_addresses_are_refused(target: Server, url: str) -> None:
    output = (
        run(PROBE, {"type": "track"}, settings={"url": url.format(port=target.port)})
        .results[0]
        .output
    )
    assert output["code"] == "EBLOCKED", output
    assert target.hits == []


def test_ssrf_redirect_to_a_private_address_is_refused(target: Server) -> None:
    private = f"http://127.0.0.1:{target.port}/echo"
    url = f"http://public.test:{target.port}/redirect?to={private}"
    output = run(PROBE, {"type": "track"}, settings={"url": url}).results[0].output
    assert output["code"] == "EBLOCKED"
    assert [h["path"] for h in target.hits] == ["/redirect"]


def test_ssrf_public_name_is_fetched_with_the_original_host_header(target: Server) -> None:
    url = f"http://public.test:{target.port}/echo"
    assert run(PROBE, {"type": "track"}, settings={"url": url}).results[0].output == {"status": 200}
    assert target.hits[0]["headers"]["host"] == f"public.test:{target.port}"


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/", "gopher://x/"])
def test_ssrf_only_http_and_https(target: Server, url: str) -> None:
    output = run(PROBE, {"type": "track"}, settings={"url": url}).results[0].output
    assert "error" in output


def test_ssrf_blocked_request_is_traced_without_status(target: Server) -> None:
    result = run(PROBE, {"type": "track"}, settings={"url": "http://10.0.0.1/x"})
    trace = result.results[0].requests[0]
    assert trace["status"] is None and trace["url"] == "http://10.0.0.1/x"


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("8.8.8.8", True),
        ("2606:4700::1111", True),
        ("192.168.1.1", False),
        ("::ffff:10.0.0.1", False),
        ("2002:7f00:1::", False),
        ("64:ff9b::a9fe:a9fe", False),
        ("fe80::1", False),
        ("198.18.0.1", False),
        ("1.1.1.1", True),
        ("2a00:1450:4001:81c::200e", True),
        ("64:ff9b::808:808", True),
        ("::ffff:8.8.8.8", True),
        ("fec0::1", False),
        ("192.88.99.1", False),
        ("3fff::1", False),
        ("3fff:fff::1", False),
        ("0.1.2.3", False),
        ("127.0.0.1", False),
        ("169.254.169.254", False),
        ("172.16.0.1", False),
        ("192.0.0.9", False),
        ("192.0.2.1", False),
        ("192.31.196.1", False),
        ("192.52.193.1", False),
        ("192.175.48.1", False),
        ("198.51.100.7", False),
        ("203.0.113.7", False),
        ("233.252.0.1", False),
        ("255.255.255.255", False),
        ("::", False),
        ("::1", False),
        ("::7f00:1", False),
        ("64:ff9b:1::a00:1", False),
        ("100::1", False),
        ("2001::1", False),
        ("2001:2::1", False),
        ("2001:20::1", False),
        ("2001:db8::1", False),
        ("2002:808:808::1", False),
        ("2620:4f:8000::1", False),
        ("5f00::1", False),
        ("fc00::1", False),
        ("fd00:ec2::254", False),
        ("ff02::1", False),
        ("4000::1", False),
    ],
)
def test_ssrf_address_classification(address: str, public: bool) -> None:
    import ipaddress

    assert addresses.is_public_address(ipaddress.ip_address(address)) is public


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1.", "127.0.0.1"),
        ("localhost.", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("2130706433", "127.0.0.1"),
        ("[::1]", "::1"),
    ],
)
def test_ssrf_literal_spellings_are_parsed_without_the_resolver(
    host: str, expected: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    import asyncio
    import socket

    def no_resolver(*args: object, **kwargs: object) -> None:
        raise AssertionError("the system resolver was asked")

    monkeypatch.setattr(socket, "getaddrinfo", no_resolver)
    assert asyncio.run(addresses.resolve(host, 80, allow_private=True)) == expected
    with pytest.raises(addresses.BlockedAddress):
        asyncio.run(addresses.resolve(host, 80, allow_private=False))


def test_ssrf_idn_host_is_resolved_and_sent_as_its_punycode(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The checked name is the one node-fetch sends (UTS #46 nontransitional: `faß` is
    `xn--fa-hia`), never Python's IDNA 2003 re-encoding of it (`fass`)."""
    srv = Server()
    srv.start()
    asked: list[str] = []

    async def resolve(host: str, port: int, *, allow_private: bool) -> str:
        asked.append(host)
        return "127.0.0.1"

    monkeypatch.setattr("functions.runtime.fetch.resolve", resolve)
    try:
        url = f"http://Faß.TEST:{srv.port}/echo"
        output = run(PROBE, {"type": "track"}, settings={"url": url}).results[0].output
    finally:
        srv.stop()
    assert output == {"status": 200}
    assert asked == ["xn--fa-hia.test"]
    assert srv.hits[0]["headers"]["host"] == f"xn--fa-hia.test:{srv.port}"

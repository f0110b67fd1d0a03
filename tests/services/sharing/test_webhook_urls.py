"""Which URLs a webhook may POST to (SSRF): https to public addresses only; loopback only when
the setting allows; checked on the addresses the host resolves to; connected to as checked."""

from __future__ import annotations

import pytest

from services.sharing.webhook_urls import UrlRefused, checked, endpoint, pinned, refusal

PUBLIC = ["93.184.215.14"]


@pytest.mark.parametrize(
    "addresses",
    [
        ["10.1.2.3"],
        ["172.16.0.9"],
        ["192.168.1.1"],
        ["127.0.0.1"],
        ["169.254.169.254"],  # a cloud's metadata service
        ["100.64.0.1"],  # carrier-grade NAT
        ["0.0.0.0"],
        ["::1"],
        ["fe80::1%eth0"],
        ["fd00::1"],
        ["::ffff:10.0.0.1"],  # IPv4-mapped
        ["224.0.0.1"],
        [*PUBLIC, "10.0.0.1"],  # one private address among public ones is enough
    ],
)
def test_private_loopback_and_reserved_addresses_are_refused(addresses: list[str]) -> None:
    reason = refusal(endpoint("https://hooks.example.org/in"), addresses, allow_loopback=False)
    assert reason == "hooks.example.org resolves to a private or reserved address"
    # Never which address: a partner would map the deployment's own names with it.


def test_public_https_is_allowed_and_plain_http_is_not() -> None:
    assert refusal(endpoint("https://hooks.example.org/in"), PUBLIC, allow_loopback=False) is None
    assert refusal(endpoint("http://hooks.example.org/in"), PUBLIC, allow_loopback=False) == (
        "the URL must be https"
    )
    assert refusal(endpoint("https://nowhere.invalid/"), [], allow_loopback=False) == (
        "nowhere.invalid does not resolve"
    )


def test_loopback_over_http_only_when_the_setting_allows() -> None:
    local = endpoint("http://127.0.0.1:8099/hook")
    assert refusal(local, ["127.0.0.1"], allow_loopback=True) is None
    assert refusal(local, ["127.0.0.1"], allow_loopback=False) is not None
    # The setting opens loopback, not the private network.
    assert refusal(endpoint("http://10.0.0.5/"), ["10.0.0.5"], allow_loopback=True) is not None
    assert checked("http://127.0.0.1:8099/hook", allow_loopback=True)[1] == "127.0.0.1"
    with pytest.raises(UrlRefused):
        checked("http://127.0.0.1:8099/hook", allow_loopback=False)
    with pytest.raises(UrlRefused):
        checked("http://localhost:8099/hook", allow_loopback=False)


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("ftp://hooks.example.org/", "absolute"),
        ("/relative/path", "absolute"),
        ("https://user:pw@hooks.example.org/", "credentials"),
        ("https://hooks.example.org:99999/", "not a URL"),
        ("https://hooks.example.org/" + "a" * 3000, "longer"),
    ],
)
def test_malformed_urls_are_refused(url: str, reason: str) -> None:
    with pytest.raises(UrlRefused, match=reason):
        endpoint(url)


def test_the_connection_goes_to_the_checked_address_under_the_hosts_name() -> None:
    target = endpoint("https://hooks.example.org/in?k=1#frag")
    assert pinned(target, "93.184.215.14") == ("https://93.184.215.14/in?k=1", "hooks.example.org")
    port = endpoint("https://hooks.example.org:8443/in")
    assert pinned(port, "2001:db8::7") == (
        "https://[2001:db8::7]:8443/in",
        "hooks.example.org:8443",
    )

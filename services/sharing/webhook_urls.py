"""Which URLs a webhook may POST to. A partner names the URL, and the deliverer runs inside the
deployment's network, so a URL is a way to make Tandem send requests to its own neighbours
(server-side request forgery, OWASP API7:2023): only `https` to public addresses is allowed,
and the addresses are checked each time the host is resolved — when the webhook is made and
before each round of deliveries — then connected to as checked (`pinned`), so a name that
resolves elsewhere later reaches nothing private. Loopback endpoints, over `http` too, only when
`TANDEM_WEBHOOK_ALLOW_LOOPBACK` says so (tests, local use).
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

MAX_URL_LENGTH = 2048
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UrlRefused(ValueError):
    """A webhook URL Tandem will not POST to; the message says why, in one line."""


@dataclass(frozen=True)
class Endpoint:
    url: str
    scheme: str
    host: str
    port: int


def endpoint(url: str) -> Endpoint:
    """`url` taken apart, or UrlRefused when it is not an absolute http(s) URL without
    credentials (they would be stored and shown as part of it)."""
    if len(url) > MAX_URL_LENGTH:
        raise UrlRefused(f"the URL is longer than {MAX_URL_LENGTH} characters")
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError as exc:
        raise UrlRefused(f"not a URL: {exc}") from None
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UrlRefused("the URL must be absolute, https://host/path")
    if parts.username is not None or parts.password is not None:
        raise UrlRefused("the URL may not carry credentials: check the signature instead")
    default = 443 if parts.scheme == "https" else 80
    whole = urlunsplit(parts._replace(fragment=""))
    return Endpoint(whole, parts.scheme, parts.hostname, port or default)


def _address(text: str) -> Address:
    address = ipaddress.ip_address(text.split("%")[0])
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def refusal(target: Endpoint, addresses: list[str], *, allow_loopback: bool) -> str | None:
    """Why Tandem will not POST to `target` at `addresses` (what its host resolves to), or None
    when every address is allowed."""
    if not addresses:
        return f"{target.host} does not resolve"
    found = [_address(text) for text in addresses]
    if allow_loopback and all(address.is_loopback for address in found):
        return None
    if target.scheme != "https":
        return "the URL must be https"
    # Which address is not said: a partner could otherwise map the deployment's own names.
    if any(not address.is_global or address.is_multicast for address in found):
        return f"{target.host} resolves to a private or reserved address"
    return None


def resolve(target: Endpoint) -> list[str]:
    """The addresses `target`'s host resolves to (none when it does not)."""
    try:
        found = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        return []
    return list(dict.fromkeys(str(info[4][0]) for info in found))


def checked(url: str, *, allow_loopback: bool) -> tuple[Endpoint, str]:
    """`url` and the address to connect to, once resolved and allowed; UrlRefused otherwise."""
    target = endpoint(url)
    addresses = resolve(target)
    reason = refusal(target, addresses, allow_loopback=allow_loopback)
    if reason is not None:
        raise UrlRefused(reason)
    return target, addresses[0]


def pinned(target: Endpoint, address: str) -> tuple[str, str]:
    """The URL to request so the connection goes to `address`, the address that was checked,
    and the Host header that names the endpoint as its URL does. (For https the TLS server name
    must stay the host's too: the caller passes it to its client.)"""
    parts: SplitResult = urlsplit(target.url)
    literal = f"[{address}]" if ":" in address else address
    default = 443 if target.scheme == "https" else 80
    netloc = literal if target.port == default else f"{literal}:{target.port}"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=netloc)), host

"""Where the Docker engine is and where this machine reaches the ports it publishes.

No Docker SDK here: httpget reads it to send fixture fetches past any HTTP proxy.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import socket


def docker_endpoint() -> str:
    return os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"


_ANY = ("0.0.0.0", "::")


def is_loopback(host: str) -> bool:
    if host in ("", "localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


#: The subnets of a local engine's bridge whose containers are dialled at their own addresses
#: (docker.bridge_dialled_directly): fetches to them, like loopback ones, skip any HTTP proxy.
_BRIDGES: set[ipaddress.IPv4Network | ipaddress.IPv6Network] = set()


def add_bridge(subnet: str) -> None:
    with contextlib.suppress(ValueError):
        _BRIDGES.add(ipaddress.ip_network(subnet, strict=False))


def on_bridge(host: str) -> bool:
    """Whether ``host`` is an address on a bridge this machine dials directly."""
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return False
    return any(ip in net for net in _BRIDGES)


def engine_host() -> str | None:
    """The host name of a tcp:// or ssh:// engine; None for a socket on this machine."""
    endpoint = os.environ.get("DOCKER_HOST", "")
    if not endpoint.startswith(("tcp://", "ssh://")):
        return None
    netloc = endpoint.split("://", 1)[1].split("/", 1)[0].rsplit("@", 1)[-1]
    if netloc.startswith("["):
        return netloc[1:].split("]", 1)[0]
    return netloc.split(":")[0]


def publish_ip() -> str:
    """The address ports are published on, on the ENGINE's host (GOLEAK_PUBLISH_IP, default loopback)."""
    return os.environ.get("GOLEAK_PUBLISH_IP", "").strip() or "127.0.0.1"


def published_host() -> str:
    """The address THIS machine dials to reach a published port.

    GOLEAK_DOCKER_PUBLISHED_HOST wins; else the publish IP itself when it is one address; for a
    wildcard publish IP, loopback for a local engine (unix socket, or tcp/ssh to localhost, e.g.
    through a tunnel) and the engine's host name for a remote one.
    """
    override = os.environ.get("GOLEAK_DOCKER_PUBLISHED_HOST", "").strip()
    if override:
        return override
    ip = publish_ip()
    if ip not in _ANY:
        return ip  # a specific address of the engine's host (a remote one's 127.0.0.1 fails early)
    host = engine_host()
    return "127.0.0.1" if host is None or is_loopback(host) else host


def is_local_address(ip: str) -> bool:
    """Whether ``ip`` is an address of one of this machine's interfaces: only then can a socket
    be bound to it."""
    try:
        family = socket.AF_INET6 if ipaddress.ip_address(ip).version == 6 else socket.AF_INET
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.bind((ip, 0))
        return True
    except (OSError, ValueError):
        return False

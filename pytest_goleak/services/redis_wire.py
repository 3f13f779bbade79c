"""Redis: just enough RESP over a socket to ask ``INFO clients``."""

from __future__ import annotations

import socket
from urllib.parse import unquote, urlsplit


def command(sock: socket.socket, reader: socket.SocketIO, *args: str) -> bytes:
    parts = [f"*{len(args)}\r\n".encode()]
    for arg in args:
        raw = arg.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(raw), raw))
    sock.sendall(b"".join(parts))
    buf = bytearray()
    while not buf.endswith(b"\r\n"):
        chunk = reader.read(1)
        if not chunk:
            raise OSError("redis closed the connection")
        buf += chunk
    kind, rest = bytes(buf[:1]), bytes(buf[1:-2])
    if kind in (b"+", b":"):
        return rest
    if kind == b"-":
        raise ValueError(f"redis error: {rest.decode(errors='replace')}")
    if kind == b"$":
        size = int(rest)
        body = b""
        while len(body) < size + 2:
            chunk = reader.read(size + 2 - len(body))
            if not chunk:
                raise OSError("redis closed the connection")
            body += chunk
        return body[:-2]
    raise ValueError(f"unexpected redis reply {bytes(buf[:40])!r}")


def connected_clients(url: str, timeout: float) -> int:
    parts = urlsplit(url)
    if parts.scheme != "redis":
        raise ValueError(f"cannot probe {parts.scheme}:// URLs")
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 6379),
                                  timeout=timeout) as sock:
        reader = socket.SocketIO(sock, "rb")
        if parts.password is not None:
            auth = [unquote(parts.username), unquote(parts.password)] if parts.username else [
                unquote(parts.password)]
            command(sock, reader, "AUTH", *auth)
        info = command(sock, reader, "INFO", "clients").decode()
    for line in info.splitlines():
        if line.startswith("connected_clients:"):
            return int(line.split(":", 1)[1])
    raise ValueError("INFO clients has no connected_clients")

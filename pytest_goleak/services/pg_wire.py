"""PostgreSQL: a minimal wire-protocol client (trust, cleartext and md5 auth), psql otherwise."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import struct
import subprocess
from urllib.parse import unquote, urlsplit

_PG_COUNT = ("SELECT count(*) FROM pg_stat_activity "
             "WHERE datname = current_database() AND pid <> pg_backend_pid()")


def count_connections(url: str, timeout: float) -> int:
    try:
        return int(query(url, _PG_COUNT, timeout))
    except NotImplementedError:
        return _psql_count(url, timeout)


def _psql_count(url: str, timeout: float) -> int:
    psql = shutil.which("psql")
    if psql is None:
        raise ValueError("the server wants an authentication this probe lacks, and psql is missing")
    env = dict(os.environ, PGCONNECT_TIMEOUT=str(max(1, int(timeout))))
    out = subprocess.run([psql, "-X", "-A", "-t", "-d", url, "-c", _PG_COUNT], capture_output=True,
                         timeout=timeout * 2, env=env, check=True, stdin=subprocess.DEVNULL)
    return int(out.stdout.decode().strip())


def _pg_read(sock: socket.socket) -> tuple[bytes, bytes]:
    head = _recv_exact(sock, 5)
    kind, size = head[:1], struct.unpack("!I", head[1:])[0]
    return kind, _recv_exact(sock, size - 4)


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise OSError("postgres closed the connection")
        buf += chunk
    return buf


def _pg_error(body: bytes) -> str:
    fields = dict((f[:1], f[1:].decode(errors="replace")) for f in body.split(b"\0") if f)
    return f"{fields.get(b'C', '')}: {fields.get(b'M', '')}"


def query(url: str, sql: str, timeout: float) -> str:
    """Run one query returning one value over a fresh connection; the value as text."""
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ValueError(f"not a PostgreSQL URL: {url}")
    user = unquote(parts.username or "postgres")
    password = unquote(parts.password or "")
    database = unquote(parts.path.lstrip("/") or user)
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 5432),
                                  timeout=timeout) as sock:
        params = b"".join(k + b"\0" + v.encode() + b"\0" for k, v in (
            (b"user", user), (b"database", database), (b"application_name", "pytest-goleak"))) + b"\0"
        sock.sendall(struct.pack("!II", len(params) + 8, 196608) + params)
        while True:
            kind, body = _pg_read(sock)
            if kind == b"E":
                raise ValueError(f"postgres: {_pg_error(body)}")
            if kind == b"R":
                code = struct.unpack("!I", body[:4])[0]
                if code == 3:  # cleartext password
                    msg = password.encode() + b"\0"
                elif code == 5:  # md5
                    inner = hashlib.md5((password + user).encode()).hexdigest().encode()  # noqa: S324
                    msg = b"md5" + hashlib.md5(inner + body[4:8]).hexdigest().encode() + b"\0"  # noqa: S324
                elif code == 0:
                    continue
                else:
                    raise NotImplementedError(f"postgres authentication method {code}")
                sock.sendall(b"p" + struct.pack("!I", len(msg) + 4) + msg)
            elif kind == b"Z":
                break
        q = sql.encode() + b"\0"
        sock.sendall(b"Q" + struct.pack("!I", len(q) + 4) + q)
        value: str | None = None
        while True:
            kind, body = _pg_read(sock)
            if kind == b"E":
                raise ValueError(f"postgres: {_pg_error(body)}")
            if kind == b"D" and value is None:
                length = struct.unpack("!i", body[2:6])[0]
                value = body[6:6 + length].decode() if length >= 0 else ""
            elif kind == b"Z":
                break
        sock.sendall(b"X\0\0\0\4")
    if value is None:
        raise ValueError(f"query returned no row: {sql}")
    return value

"""The local runtime's stand-in for a container's filesystem and ports (runtime/local.py)."""

from __future__ import annotations

import os
import socket
import stat
from pathlib import Path

from pytest_goleak.run.runtime.local import listening_ports, place_files, rewrite


def test_files_are_copied_read_only_below_the_root(tmp_path):
    src = tmp_path / "Caddyfile"
    src.write_text(":8080\n")
    moved = place_files({"/etc/caddy/Caddyfile": src}, tmp_path / "root")
    copy = tmp_path / "root" / "etc" / "caddy" / "Caddyfile"
    assert moved == {"/etc/caddy/Caddyfile": copy} and copy.read_text() == ":8080\n"
    assert stat.S_IMODE(copy.stat().st_mode) == 0o444


def test_paths_naming_a_mount_or_tmp_are_rewritten_and_nothing_else():
    moved = {"/etc/a.conf": Path("/r/etc/a.conf"), "/etc/a": Path("/r/etc/a")}
    tmp = Path("/r/tmp")
    cases = {
        "/etc/a.conf": "/r/etc/a.conf",
        "--config=/etc/a.conf": "--config=/r/etc/a.conf",
        "/etc/a.conf,/etc/a": "/r/etc/a.conf,/r/etc/a",
        "/etc/a.conf.d": "/etc/a.conf.d",  # a longer path is another path
        "x/etc/a.conf": "x/etc/a.conf",
        "/tmp": "/r/tmp",
        "/tmp/caddy": "/r/tmp/caddy",
        "XDG=/tmp:/tmp/b": "XDG=/r/tmp:/r/tmp/b",
        "/tmpfiles": "/tmpfiles",
        "/var/tmp": "/var/tmp",
    }
    assert {v: rewrite(v, moved, tmp) for v in cases} == cases
    assert rewrite("/tmp/x", moved) == "/tmp/x"  # without a private tmp nothing changes
    # a copy that itself lives under the host's /tmp is not rewritten a second time
    under_tmp = {"/etc/a.conf": Path("/tmp/goleak-local-1/root/etc/a.conf")}
    assert rewrite("/etc/a.conf", under_tmp, Path("/tmp/goleak-local-1/root/tmp")) == str(under_tmp["/etc/a.conf"])


def test_listening_ports_are_this_process_own():
    with socket.socket() as listening, socket.socket() as bound:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        bound.bind(("127.0.0.1", 0))  # bound, not listening
        ports = listening_ports(os.getpid())
        assert listening.getsockname()[1] in ports
        assert bound.getsockname()[1] not in ports
    assert listening_ports(2**22 + 7) == set()  # no such process

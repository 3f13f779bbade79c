"""Run a service's binary as a local subprocess in its own session and process group (no Docker).

The service is found as a user's service is: it is told a free port through its port variable,
and its port is read off the sockets the process itself listens on (``listening_ports``), never
off its log. It gets a minimal environment, a private HOME and TMPDIR, and its log is only ever
read as a bounded tail.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..httpget import FetchError, get
from ..procutil import die_with_parent, free_port
from .base import InstanceInfo, RuntimeFailure, Status

START_TIMEOUT_S = 30.0  # when the caller names none: the scenario's health timeout, normally
LOG_TAIL_BYTES = 8 * 1024 * 1024  # the most of a service's log ever read into memory
SETTLE_S = 0.3  # how long the set of ports must stay the same before unnamed ports are guessed at
PORT_WAIT_S = 300.0  # the longest a service waits for a fixed port another of ours holds
_POLL_S = 0.02
_INSTANCE_PREFIX = "goleak-local-"
_TABLES = ("tcp", "tcp6")
_PR_SET_NO_NEW_PRIVS = 38


class LocalInstance:
    def __init__(self, proc: subprocess.Popen[bytes], log_path: Path, base_url: str, pprof_url: str,
                 info: InstanceInfo) -> None:
        self.proc = proc
        self.log_path = log_path
        self.base_url = base_url
        self.pprof_url = pprof_url
        self.info = info
        self.started = time.monotonic()

    def host_pid(self) -> int | None:
        return self.proc.pid

    def cgroup_memory(self) -> int | None:
        return None  # no cgroup of our own: the local runtime has every signal but this one

    def status(self) -> Status:
        code = self.proc.poll()
        return Status(running=code is None, exit_code=code, oom_killed=False)

    def logs(self) -> str:
        return read_tail(self.log_path, LOG_TAIL_BYTES)

    def startup_facts(self) -> str:
        """What a start-up failure must say: how long the process was up and what it listens on."""
        return f"up {time.monotonic() - self.started:.1f}s, listening on {describe(listening_ports(self.proc.pid))}"

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
                self.proc.wait(timeout=5)
            except (ProcessLookupError, subprocess.TimeoutExpired):
                pass
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)  # anything the service itself spawned
        except (ProcessLookupError, PermissionError):
            pass
        if self.proc.poll() is None:
            self.proc.wait(timeout=5)
        shutil.rmtree(self.log_path.parent, ignore_errors=True)  # the log, HOME, TMPDIR and the placed files


@dataclass(frozen=True)
class Ports:
    """Where the harness looks for the service: the port it was told, the fixed one a scenario
    names (``port:``, 8080 by default: a hard-coded ``:8080`` is found), and the admin port."""

    given: int
    fixed: int
    pprof: int | None = None


class PortHeld(RuntimeFailure):
    """The service could not bind a port it hard-codes (``port:`` or ``pprof_port:``): another process has it."""

    def __init__(self, message: str, exit_code: int | None, logs: str, port: int, wait: bool) -> None:
        super().__init__(message, exit_code, logs)
        self.port, self.wait = port, wait  # wait: the holder is ours, and the service said "address in use"


class LocalRuntime:
    name = "local"

    def start(self, binary: Path, *, port_env: str, env: Mapping[str, str], args: Sequence[str] = (),
              files: Mapping[str, Path] | None = None, port: int = 8080, pprof_port: int | None = None,
              timeout: float = START_TIMEOUT_S, port_wait: float = PORT_WAIT_S) -> LocalInstance:
        """Start the service and find its ports. A service that hard-codes a port another service
        of ours holds (a parallel xdist worker, another session) waits up to ``port_wait`` for it
        and starts again; a port held by anything else fails at once, naming the holder."""
        deadline = time.monotonic() + port_wait
        while True:
            ports = Ports(given=free_port(), fixed=port, pprof=pprof_port)
            instance = _spawn(binary, ports, port_env, env, args, files or {})
            try:
                service, admin = find_ports(instance, ports, port_env, timeout)
                break
            except PortHeld as exc:
                instance.close()
                if not exc.wait or not _released(exc.port, deadline):
                    raise
            except BaseException:
                instance.close()
                raise
        instance.base_url, instance.pprof_url = f"http://127.0.0.1:{service}", f"http://127.0.0.1:{admin}"
        instance.info.details["reached_at"], instance.info.details["pprof_at"] = instance.base_url, instance.pprof_url
        return instance


def _spawn(binary: Path, ports: Ports, port_env: str, env: Mapping[str, str], args: Sequence[str],
           files: Mapping[str, Path]) -> LocalInstance:
    logdir = Path(tempfile.mkdtemp(prefix=_INSTANCE_PREFIX))
    log_path = logdir / "fixture.log"
    root = logdir / "root"  # stands in for the container's "/": the working directory, and files: go here
    tmp, home = root / "tmp", logdir / "home"  # the container's private /tmp; a HOME of its own
    tmp.mkdir(parents=True)
    home.mkdir()
    moved = place_files(files, root)
    full_env = minimal_env(home, tmp, {k: rewrite(v, moved, tmp) for k, v in env.items()})
    # Our fixtures bind loopback only through GOLEAK_LISTEN; a user's service reads its port variable.
    full_env |= {"GOLEAK_LISTEN": f"127.0.0.1:{ports.given}", port_env: str(ports.given)}
    argv = [str(binary), *(rewrite(a, moved, tmp) for a in args)]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, cwd=root,
                                env=full_env, start_new_session=True, preexec_fn=_harden())
    info = InstanceInfo("local", {"binary": str(binary), "pid": proc.pid, "process_group": proc.pid,
                                  "args": argv[1:], "files": {t: str(p) for t, p in moved.items()},
                                  "env": sorted(full_env), "told_port": f"{port_env}={ports.given}"})
    return LocalInstance(proc, log_path, "", "", info)


def _released(port: int, deadline: float) -> bool:
    while time.monotonic() < deadline:
        if not port_taken(port):
            return True
        time.sleep(0.1)
    return False


def minimal_env(home: Path, tmp: Path, scenario_env: Mapping[str, str]) -> dict[str, str]:
    """PATH, a private HOME and TMPDIR, then the scenario's env (services' URLs included), which
    wins: nothing else of pytest's environment (tokens, a developer's REDIS_URL) reaches a service."""
    return {"PATH": os.environ.get("PATH") or os.defpath, "HOME": str(home), "TMPDIR": str(tmp), **scenario_env}


def _harden() -> Callable[[], None]:
    """The child's ``preexec_fn``: it dies with pytest, may never gain privileges (setuid binaries,
    file capabilities), and dumps no core."""
    die = die_with_parent(signal.SIGKILL)

    def preexec() -> None:
        die()
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        resource.setrlimit(resource.RLIMIT_CORE, (0, 0))

    return preexec


def find_ports(instance: LocalInstance, ports: Ports, port_env: str, timeout: float) -> tuple[int, int]:
    """(service port, pprof port), read off the sockets the process listens on; a RuntimeFailure
    saying what it did listen on, what it logged last and how long it was up when there are none
    by ``timeout`` or it exits first."""
    pid = instance.proc.pid
    seen: set[int] = set()
    changed = time.monotonic()
    while True:
        now = time.monotonic()
        current = listening_ports(pid)
        if current != seen:
            seen, changed = current, now
        found = choose_ports(seen, ports, settled=now - changed >= SETTLE_S, answers_pprof=_answers_pprof)
        if found is not None:
            return found
        st = instance.status()
        if not st.running:
            raise _start_failure(instance, f"exited (code {st.exit_code}) at start", ports, port_env, st.exit_code)
        if now - instance.started > timeout:
            raise _start_failure(instance, f"did not {_awaited(seen, ports)} within its health timeout "
                                 f"({timeout:.0f}s)", ports, port_env)
        time.sleep(_POLL_S)


def choose_ports(listening: set[int], ports: Ports, *, settled: bool,
                 answers_pprof: Callable[[int], bool]) -> tuple[int, int] | None:
    """The (service, pprof) ports among those the process listens on, or None to look again.

    The port it was told, else the fixed one, is the service port; a named ``pprof_port`` must be
    listened on too. Otherwise, once the set has settled: a single port serves both; of several,
    the one answering ``/debug/pprof/`` is the admin port and another the service port.
    """
    service = next((p for p in (ports.given, ports.fixed) if p in listening), None)
    if ports.pprof is not None:
        if ports.pprof not in listening:
            return None
        others = sorted(listening - {ports.pprof})
        if service is None and settled and len(others) == 1:
            service = others[0]
        return None if service is None else (service, ports.pprof)
    if service is not None and listening == {service}:
        return service, service
    if not settled or not listening:
        return None
    if len(listening) == 1:
        (only,) = listening
        return only, only
    admin = [p for p in sorted(listening) if p != service and answers_pprof(p)]
    if service is None:
        plain = [p for p in sorted(listening) if p not in admin]
        service = (plain or admin)[0]
    if answers_pprof(service) or not admin:
        return service, service
    return service, admin[0]


def _answers_pprof(port: int) -> bool:
    try:
        get(f"http://127.0.0.1:{port}/debug/pprof/", timeout=2.0, max_bytes=1024 * 1024)
        return True
    except FetchError:
        return False


def _awaited(listening: set[int], ports: Ports) -> str:
    if ports.pprof is not None and listening and ports.pprof not in listening:
        return f"listen on its pprof_port {ports.pprof}"
    return "listen on any TCP port"


def _start_failure(instance: LocalInstance, what: str, ports: Ports, port_env: str,
                   code: int | None = None) -> RuntimeFailure:
    logs = instance.logs()
    told = f"it was told {port_env}={ports.given}; port {ports.fixed} would have counted too"
    silent = "" if logs.strip() else "; it logged nothing"
    message = f"the service {what}: {instance.startup_facts()} ({told}){silent}"
    held = next((p for p in (ports.fixed, ports.pprof) if p and code is not None and port_taken(p)), None)
    if held is None:
        return RuntimeFailure(message, code, logs)
    holder = port_holder(held)
    ours = holder is not None and is_ours(holder)
    who = (f"pid {holder}, another service this harness runs" if ours else
           f"pid {holder} ({_command(holder)}), not one of ours" if holder else "a process not visible here")
    # Wait for it only when the service said why it stopped: another reason would fail again.
    wait = ours and "address already in use" in logs
    return PortHeld(f"{message}; port {held} is held by {who}: a service that hard-codes its port cannot "
                    "run twice at once on one host (run those scenarios one at a time, or under Docker)",
                    code, logs, held, wait)


def port_taken(port: int) -> bool:
    """True when no socket can bind ``port`` on all interfaces (someone else listens on it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind(("0.0.0.0", port))  # noqa: S104 - bound and closed at once, never listened on
        except OSError:
            return True
    return False


def port_holder(port: int) -> int | None:
    """The pid of a process of this host that listens on ``port``, when /proc lets us see it."""
    inodes = {inode for table in _TABLES for p, inode in _listeners(Path(f"/proc/net/{table}")) if p == port}
    for pid in filter(str.isdigit, os.listdir("/proc")):
        with contextlib.suppress(OSError):
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    if os.readlink(f"/proc/{pid}/fd/{fd}")[8:-1] in inodes:
                        return int(pid)
    return None


def _listeners(table: Path) -> list[tuple[int, str]]:
    """(port, socket inode) of each listening socket in a /proc net table (tcp or tcp6)."""
    try:
        lines = table.read_text().splitlines()[1:]
    except OSError:
        return []
    return [(int(f[1].rsplit(":", 1)[1], 16), f[9]) for f in map(str.split, lines)
            if len(f) > 9 and f[3] == "0A"]  # 0A: TCP_LISTEN


def is_ours(pid: int) -> bool:
    """True for a service the local runtime started (its working directory is an instance's root)."""
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd")).parent.name.startswith(_INSTANCE_PREFIX)
    except OSError:
        return False


def _command(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()[:200].replace(b"\0", b" ").decode(errors="replace").strip()
    except OSError:
        return "?"


def describe(listening: set[int]) -> str:
    return ", ".join(f"port {p}" for p in sorted(listening)) or "nothing"


def read_tail(path: Path, limit: int = LOG_TAIL_BYTES) -> str:
    """At most the last ``limit`` bytes of ``path``, from a line start; what was cut says so."""
    try:
        with path.open("rb") as fh:
            size = fh.seek(0, os.SEEK_END)
            fh.seek(max(0, size - limit))
            data = fh.read(limit)
    except OSError:
        return ""
    if size <= limit:
        return data.decode(errors="replace")
    data = data[data.find(b"\n") + 1:] if b"\n" in data else data
    return (f"[goleak: the first {size - len(data):,} bytes of this log were cut; only the last "
            f"{limit:,} bytes are read]\n" + data.decode(errors="replace"))


def place_files(files: Mapping[str, Path], root: Path) -> dict[str, Path]:
    """Copy each ``files:`` entry to ``root`` + its container path, read-only; container path -> copy."""
    moved: dict[str, Path] = {}
    for target, source in files.items():
        dest = root / target.lstrip("/")
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, dest)
        dest.chmod(0o444)
        moved[target] = dest
    return moved


def rewrite(value: str, moved: Mapping[str, Path], tmp: Path | None = None) -> str:
    """An argument or env value naming a mounted container path names its local copy instead,
    and one naming ``/tmp`` or a path below it (the container's private tmpfs) names ``tmp``.

    A path counts where it stands alone or after ``=`` / ``:`` / ``,`` (``--config=/etc/a.conf``),
    never inside a longer path (``/etc/a.conf.d``, ``/tmpfiles``).
    """
    local = {target: str(path) for target, path in moved.items()}
    alternatives = [rf"{re.escape(t)}(?![^=:,\s])" for t in sorted(local, key=len, reverse=True)]
    if tmp is not None:
        local["/tmp"] = str(tmp)
        alternatives.append(r"/tmp(?=/|[=:,\s]|$)")
    if not alternatives:
        return value
    # One pass, so that a replacement (itself a path under the host's /tmp) is never rewritten again.
    pattern = re.compile(rf"(?<![^=:,\s])(?:{'|'.join(alternatives)})")
    return pattern.sub(lambda m: local[m.group(0)], value)


def listening_ports(pid: int) -> set[int]:
    """TCP ports that process ``pid`` itself listens on (its socket inodes in /proc/net/tcp{,6})."""
    try:
        fds = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return set()
    inodes = set()
    for fd in fds:
        try:
            link = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:  # closed meanwhile (listdir's own descriptor, for one)
            continue
        if link.startswith("socket:["):
            inodes.add(link[8:-1])
    return {port for table in _TABLES for port, inode in _listeners(Path(f"/proc/{pid}/net/{table}"))
            if inode in inodes}

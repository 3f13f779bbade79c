"""Run fixtures as hardened, labelled Docker containers, and always remove them."""

from __future__ import annotations

import collections
import contextlib
import datetime
import ipaddress
import os
import socket
import time
import uuid
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from .. import limits
from ..build import LABEL
from ..procutil import free_port
from .address import add_bridge, docker_endpoint, engine_host, is_local_address, is_loopback, publish_ip, published_host
from .base import InstanceInfo, RuntimeFailure, Status
from .labels import owner_labels, process_start

CLIENT_TIMEOUT_S = 60
START_TIMEOUT_S = 30


class DockerUnavailable(Exception):
    """No Docker engine answers; the message names the socket or DOCKER_HOST that was tried."""


def connect(timeout: int = CLIENT_TIMEOUT_S) -> Any:
    """A docker SDK client that has answered a ping, or DockerUnavailable."""
    import docker  # lazy: ~110 ms; a pytest run without --goleak never pays it
    import docker.errors

    try:
        # ssh://: the system ssh client (your ~/.ssh/config, agent, known_hosts), not paramiko
        client = docker.from_env(timeout=timeout, use_ssh_client=docker_endpoint().startswith("ssh://"))
        client.ping()
        return client
    except (docker.errors.DockerException, OSError) as exc:
        raise DockerUnavailable(_why_unreachable(exc)) from exc


def _why_unreachable(exc: BaseException) -> str:
    """One line: what is wrong with the engine's endpoint, and how to fix it."""
    endpoint = docker_endpoint()
    text = f"{exc!r} {exc}"
    where = endpoint.removeprefix("unix://") if endpoint.startswith("unix://") else endpoint
    local = "or use --goleak-runtime=local (no Docker needed)"
    if endpoint.startswith("unix://") and ("FileNotFoundError" in text or "No such file" in text):
        return (f"no Docker engine: {where} does not exist (dockerd is not running). Start it "
                f"(`make goleak` does, through scripts/provision.sh; or `sudo systemctl start docker`), "
                f"set DOCKER_HOST, {local}")
    if "PermissionError" in text or "Permission denied" in text:
        return (f"permission denied on {where}: add yourself to the group that owns it (`sudo usermod -aG docker "
                f"$USER`, then log in again), run as root, {local}")
    if "ConnectionRefusedError" in text or "Connection refused" in text:
        return (f"no Docker engine answers at {endpoint} (connection refused: dockerd is not running, or the socket is "
                f"stale). Start it (`make goleak` does; or `sudo systemctl start docker`), set DOCKER_HOST, {local}")
    return (f"cannot reach a Docker engine at {_redact(endpoint)} ({_first(exc)}). Start dockerd, set DOCKER_HOST, "
            f"{local}")


def _first(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


#: A container of another host that shares the engine is removed only when older than this: no
#: run takes a day, and this host cannot tell whether that host's owner is alive.
FOREIGN_STALE_S = 24 * 3600


def sweep(client: Any, only_dead_owners: bool = True) -> list[str]:
    """Remove containers and networks labelled as ours, left by runs that were killed.

    With ``only_dead_owners`` a container survives while the pytest process that started it is
    alive on this host (same pid and start time), so parallel sessions (xdist workers, other jobs)
    are not disturbed; a container of another host survives unless it was created more than
    FOREIGN_STALE_S ago.
    """
    import docker.errors

    removed: list[str] = []
    for c in client.containers.list(all=True, filters={"label": LABEL}, ignore_removed=True):
        if only_dead_owners and _owner_may_live(c.labels, c.attrs.get("Created", "")):
            continue
        try:
            _remove(c)
        except docker.errors.APIError:  # the engine refused this one (dead-locked, busy): the next sweep tries again
            continue
        removed.append(c.name)
    for n in client.networks.list(filters={"label": LABEL}):
        try:
            n.remove()
            removed.append(n.name)
        except Exception:  # noqa: BLE001 - a network still in use by a live run stays
            pass
    return removed


def _owner_may_live(labels: Mapping[str, str], created: str) -> bool:
    owner, host = labels.get(f"{LABEL}.owner-pid", ""), labels.get(f"{LABEL}.owner-host", "")
    if host and host != socket.gethostname():
        return _age_s(created) < FOREIGN_STALE_S
    if not owner.isdigit() or not _alive(int(owner)):
        return False
    start = labels.get(f"{LABEL}.owner-start", "")
    return not start or process_start(int(owner)) in (None, start)


def _age_s(created: str) -> float:
    """Seconds since the engine's ``Created`` timestamp (RFC 3339, nanoseconds); 0 when unreadable."""
    try:
        stamp = datetime.datetime.fromisoformat(created[:26].rstrip("Z") + "+00:00")
    except ValueError:
        return 0.0
    return (datetime.datetime.now(datetime.timezone.utc) - stamp).total_seconds()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def _remove(container: Any) -> None:
    """Kill and remove ``container``; gone already, or going (another run's sweep, or the engine
    removing it for its owner), counts as removed."""
    import docker.errors

    try:
        container.remove(force=True, v=True)
    except docker.errors.NotFound:
        pass
    except docker.errors.APIError as exc:
        if not _removal_in_progress(exc):
            raise


def _removal_in_progress(exc: Any) -> bool:
    """The engine's 409 for a container another caller is removing right now."""
    return exc.status_code == 409 and "already in progress" in str(exc.explanation or exc)


class DockerInstance:
    def __init__(self, client: Any, container: Any, base_url: str, pprof_url: str, info: InstanceInfo) -> None:
        self._client = client
        self.container = container
        self.base_url = base_url
        self.pprof_url = pprof_url
        self.info = info
        self._pid: int | None = None
        self._cgroup_file: Path | None = None

    def host_pid(self) -> int | None:
        """The fixture's pid on THIS host, or None (a remote engine's pid means nothing here)."""
        if self._pid is None:
            pid = int(self.container.attrs.get("State", {}).get("Pid") or 0)
            self._pid = pid if pid and _pid_is_container(pid, self.container.id) else 0
        return self._pid or None

    def cgroup_memory(self) -> int | None:
        path = self._cgroup_file or self._find_cgroup_file()
        if path is not None:
            try:
                return int(path.read_text().strip())
            except (OSError, ValueError):
                self._cgroup_file = None
        try:
            stats = self.container.stats(stream=False, one_shot=True)
            usage = stats.get("memory_stats", {}).get("usage")
            return int(usage) if usage is not None else None
        except Exception:  # noqa: BLE001 - a missing figure is reported as null, not a failure
            return None

    def _find_cgroup_file(self) -> Path | None:
        # Reading the cgroup file directly is ~1000x faster than the stats API, which samples.
        cid = self.container.id
        for candidate in (Path(f"/sys/fs/cgroup/memory/docker/{cid}/memory.usage_in_bytes"),
                          Path(f"/sys/fs/cgroup/system.slice/docker-{cid}.scope/memory.current"),
                          Path(f"/sys/fs/cgroup/docker/{cid}/memory.current")):
            if candidate.is_file():
                self._cgroup_file = candidate
                return candidate
        return None

    def status(self) -> Status:
        import docker.errors

        try:
            self.container.reload()
        except docker.errors.NotFound:
            return Status(running=False)
        state = self.container.attrs.get("State", {})
        running = bool(state.get("Running"))
        return Status(running=running, exit_code=None if running else state.get("ExitCode"),
                      oom_killed=bool(state.get("OOMKilled")))

    def logs(self) -> str:
        """The log's tail: the engine keeps at most the ``log`` cap of it (log_config), and only
        that much is read, in chunks."""
        cap = limits.cap("log")
        try:
            kept: collections.deque[bytes] = collections.deque()
            size = stored = 0
            for chunk in self.container.logs(stdout=True, stderr=True, stream=True, follow=False):
                kept.append(chunk)
                size += len(chunk)
                stored += stored_bytes(chunk)
                while size - len(kept[0]) >= cap:
                    size -= len(kept.popleft())
        except Exception as exc:  # noqa: BLE001
            return f"(logs unavailable: {exc})"
        text = b"".join(kept)[-cap:].decode("utf-8", errors="replace")
        if rotated(stored):
            text = (f"(log cut: the engine keeps about the last {cap >> 20} MiB of a service's log, "
                    f"GOLEAK_MAX_LOG_BYTES; earlier lines were dropped)\n") + text
        return text

    def close(self) -> None:
        """Kill and remove the container in one call. Its logs and status are read before (the
        runner's stop stage), so a polite SIGTERM first would only wait (for as long as the stop
        timeout, 5 s, on a service that ignores it)."""
        _remove(self.container)


class DockerRuntime:
    name = "docker"

    def __init__(self, client: Any, run_id: str) -> None:
        self.client = client
        self.run_id = run_id

    def start(self, image: str, *, scenario_name: str, port: int, port_env: str, pprof_port: int | None,
              env: Mapping[str, str], network: str, memory: int, pids: int, nonroot: bool,
              args: Sequence[str] = (), files: Mapping[str, Path] | None = None,
              writable_root: bool = False) -> DockerInstance:
        labels = {**owner_labels(), f"{LABEL}.run": self.run_id, f"{LABEL}.scenario": scenario_name}
        full_env = dict(env)
        kwargs: dict[str, Any] = {}
        publish_ip = check_reachable()
        direct = network == "bridge" and bridge_dialled_directly(self.client)
        if network == "host":
            port = free_port()
            listen_ip = f"[{publish_ip}]" if ":" in publish_ip else publish_ip
            full_env.setdefault("GOLEAK_LISTEN", f"{listen_ip}:{port}")
            kwargs["network_mode"] = "host"
        elif not direct:  # dialled at its bridge address (direct), nothing is published
            ports: dict[str, tuple[str, None]] = {f"{port}/tcp": (publish_ip, None)}  # any free host port
            if pprof_port:
                ports[f"{pprof_port}/tcp"] = (publish_ip, None)
            kwargs["ports"] = ports
        full_env[port_env] = str(port)  # told its port however it is reached
        rootfs = "writable rootfs (hardening.writable_root)" if writable_root else "read-only rootfs"
        hardening = [rootfs, "cap_drop ALL", "no-new-privileges", f"pids {pids}",
                     f"memory {memory} (swap = memory)"]
        if direct:
            hardening.append("no published port (dialled on this host's bridge)")
        if nonroot:
            kwargs["user"] = "65532:65532"
            hardening.insert(0, "non-root 65532:65532")
        else:
            hardening.insert(0, "the image's own user (hardening.root)")
        if args:
            kwargs["command"] = list(args)  # after the image's ENTRYPOINT, replacing its CMD
        if files:
            kwargs["mounts"] = _file_mounts(files)
            hardening.append(f"{len(files)} read-only file mount(s)")
        name = f"goleak-{scenario_name[:40]}-{uuid.uuid4().hex[:6]}"
        try:
            container = self.client.containers.run(
                image, detach=True, name=name, labels=labels,
                environment=full_env, mem_limit=memory, memswap_limit=memory, pids_limit=pids,
                read_only=not writable_root,
                cap_drop=["ALL"], security_opt=["no-new-privileges"], tmpfs={"/tmp": "rw,size=16m"},
                log_config=_log_config(), **kwargs,
            )
        except BaseException:
            # Created but not started (a bad port, Ctrl-C between create and start): still ours.
            self._remove_by_name(name)
            raise
        try:
            base, pprof = self._urls(container, network, port, pprof_port, direct=direct)
        except BaseException:
            _remove(container)
            raise
        info = InstanceInfo("docker", {"image": image, "id": container.id[:12], "name": container.name,
                                       "network": network, "memory_limit": memory, "pids_limit": pids,
                                       "hardening": hardening, "endpoint": _redact(docker_endpoint()),
                                       "published_on": None if direct else publish_ip, "reached_at": base,
                                       "pprof_at": pprof})
        return DockerInstance(self.client, container, base, pprof, info)

    def _remove_by_name(self, name: str) -> None:
        with contextlib.suppress(Exception):  # never created: nothing to remove
            _remove(self.client.containers.get(name))

    def _urls(self, container: Any, network: str, port: int, pprof_port: int | None,
              direct: bool = False) -> tuple[str, str]:
        """The service's and its pprof's base URLs: at the container's bridge address (``direct``),
        on the host network, or at the host ports the engine published."""
        host = published_host()
        if network == "host":
            url = f"http://{host}:{port}"
            return url, (f"http://{host}:{pprof_port}" if pprof_port else url)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            container.reload()  # ephemeral host ports are only known after a reload
            state = container.attrs.get("State", {})
            settings = container.attrs.get("NetworkSettings", {})
            address = ((settings.get("Networks") or {}).get("bridge") or {}).get("IPAddress")
            if direct and address:
                base = f"http://{address}:{port}"
                return base, (f"http://{address}:{pprof_port}" if pprof_port else base)
            bindings = settings.get("Ports") or {}
            got = None if direct else bindings.get(f"{port}/tcp")
            if got:
                base = f"http://{host}:{got[0]['HostPort']}"
                if pprof_port:
                    admin = bindings.get(f"{pprof_port}/tcp")
                    if not admin:
                        raise RuntimeFailure(f"pprof port {pprof_port} was not published")
                    return base, f"http://{host}:{admin[0]['HostPort']}"
                return base, base
            if not state.get("Running") and state.get("Status") in ("exited", "dead"):
                logs = container.logs(tail=200).decode("utf-8", errors="replace")
                raise RuntimeFailure(f"container exited (code {state.get('ExitCode')}) at start",
                                     state.get("ExitCode"), logs, bool(state.get("OOMKilled")))
            if time.monotonic() > deadline:
                what = "had no address on the bridge" if direct else f"port {port} was not published"
                raise RuntimeFailure(f"container {what} within {START_TIMEOUT_S}s")
            time.sleep(0.05)


#: Per engine endpoint: whether its default bridge is on this host (see bridge_dialled_directly).
_BRIDGE_HERE: dict[str, bool] = {}


def bridge_dialled_directly(client: Any) -> bool:
    """Whether a container on the default bridge is dialled at its own address instead of a
    published port: the engine is reached on a unix socket (tcp:// to loopback may be a tunnel to
    another host), nobody set GOLEAK_PUBLISH_IP or GOLEAK_DOCKER_PUBLISHED_HOST, and the bridge's
    gateway is an address of this host (it can be bound here), so its containers are routed to,
    not behind a VM or a rootless engine's namespace. A published port carries every request
    through docker-proxy, a userland copy: 23 of the shipped suite's 180 CPU-seconds, and 124 in
    all once it was gone (benchmarks/README.md)."""
    if any(os.environ.get(k, "").strip() for k in ("GOLEAK_PUBLISH_IP", "GOLEAK_DOCKER_PUBLISHED_HOST")):
        return False
    endpoint = docker_endpoint()
    if not endpoint.startswith("unix://"):
        return False
    if endpoint not in _BRIDGE_HERE:
        _BRIDGE_HERE[endpoint] = _gateway_is_local(client)
    return _BRIDGE_HERE[endpoint]


def _gateway_is_local(client: Any) -> bool:
    try:
        configs = client.networks.get("bridge").attrs.get("IPAM", {}).get("Config") or []
    except Exception:  # noqa: BLE001 - no default bridge, or the engine refused: publish as before
        return False
    configs = [c for c in configs if isinstance(c, dict) and c.get("Subnet")]
    if not configs or not all(is_local_address(_gateway(c)) for c in configs):
        return False
    for c in configs:
        add_bridge(c["Subnet"])
    return True


def _gateway(config: Mapping[str, str]) -> str:
    """The bridge's gateway: as the engine reports it, or, when it does not (dockerd picked the
    subnet itself: Docker 20.10 reports ``{"Subnet": "172.17.0.0/16"}`` alone), the subnet's first
    address, which is the one the engine gives its bridge. Unparsable: an empty string, not local."""
    if config.get("Gateway"):
        return config["Gateway"]
    try:
        return str(next(ipaddress.ip_network(config["Subnet"], strict=False).hosts()))
    except (ValueError, StopIteration):
        return ""


def _log_file_bytes() -> int:
    """The json-file driver's max-size: two such files hold the ``log`` cap."""
    return max(limits.cap("log") // 2, 1 << 20)


def _log_config() -> Any:
    """json-file with a size cap: two files of half the ``log`` cap each, so a service that writes
    GiBs to stdout costs the engine's disk and the harness at most the cap."""
    from docker.types import LogConfig

    return LogConfig(type=LogConfig.types.JSON, config={"max-size": str(_log_file_bytes()), "max-file": "2"})


#: what json-file adds to each message, at least: {"log":"…","stream":"stdout","time":"…"} and a
#: newline, with a time of RFC 3339 to the microsecond or finer (the engine's clock gives ns)
_ENTRY_BYTES = len('{"log":"","stream":"stdout","time":"2026-01-01T00:00:00.000000Z"}\n')
_CONTROL = bytes(range(0x20))


def stored_bytes(message: bytes) -> int:
    """At least what the json-file driver writes to disk for one log message (one frame of the
    logs stream, a line or a 16 KiB piece of one): JSON-escaped, with its stream and time. Bytes
    it escapes less often (invalid UTF-8, U+2028) are counted as themselves: a lower bound."""
    controls = len(message) - len(message.translate(None, _CONTROL))
    short = message.count(b"\n") + message.count(b"\r") + message.count(b"\t")  # \n: one byte more
    html = message.count(b"<") + message.count(b">") + message.count(b"&")  # \u003c: five more
    return (_ENTRY_BYTES + len(message) + message.count(b'"') + message.count(b"\\")
            + short + 5 * (controls - short) + 5 * html)


def rotated(stored: int) -> bool:
    """Whether the engine rotated a log of which ``stored`` bytes (``stored_bytes``) are still
    on disk. A rotated log keeps a full first file, max-size less one message; an unrotated one
    less than max-size. The margin covers the estimate: a lower bound, off by the time's few
    trailing digits a message (5% for one-byte lines), so an unrotated log is called cut only
    within that margin of its first rotation. (Its raw size is no test: 1 KiB lines are 93% of
    what is stored, and just after a rotation that is all that is left.)"""
    return stored >= 0.95 * _log_file_bytes()


def _file_mounts(files: Mapping[str, Path]) -> list[Any]:
    """Bind mounts, read-only, of host files: the engine must see this host's filesystem."""
    host = engine_host()
    if host is not None and not is_loopback(host):
        raise RuntimeFailure(f"'files:' bind-mounts files of this host, which the Docker engine at "
                             f"{_redact(docker_endpoint())} cannot see: use an engine on this host, or "
                             "--goleak-runtime=local, or build the files into an image (dockerfile:)")
    from docker.types import Mount

    return [Mount(target, str(source), type="bind", read_only=True) for target, source in sorted(files.items())]


def check_reachable() -> str:
    """The publish IP, or a RuntimeFailure up front when the ports could not be reached from here."""
    ip, host = publish_ip(), engine_host()
    remote = host is not None and not is_loopback(host)
    if remote and is_loopback(ip) and not os.environ.get("GOLEAK_DOCKER_PUBLISHED_HOST", "").strip():
        raise RuntimeFailure(
            f"the Docker engine at {_redact(docker_endpoint())} is on another host: ports published on its "
            "127.0.0.1 cannot be reached from here. Set GOLEAK_PUBLISH_IP to an address of that host this "
            "machine can reach (0.0.0.0 for all of its interfaces), or forward the ports and set "
            "GOLEAK_DOCKER_PUBLISHED_HOST; see README 'Runtimes'")
    return ip


def _redact(endpoint: str) -> str:
    """DOCKER_HOST without a password, for reports."""
    scheme, sep, rest = endpoint.partition("://")
    if sep and "@" in rest.split("/", 1)[0]:
        user, _, tail = rest.partition("@")
        return f"{scheme}://{user.split(':', 1)[0]}@{tail}"
    return endpoint


def _pid_is_container(pid: int, container_id: str) -> bool:
    """True when /proc/<pid> on this host is that container's process (its cgroup names the id)."""
    try:
        return container_id in Path(f"/proc/{pid}/cgroup").read_text()
    except OSError:
        return False

"""One scenario through the pipeline: build -> run -> load -> capture -> analyse -> judge.

The runner returns a plain, JSON-ready result dict (one entry of ``results.json``); it never
raises for a fixture's faults: those become an ``error`` (or, for an OOM-kill, ``leak``) verdict
with the evidence. Whatever it starts is stopped in ``finally``.
"""

from __future__ import annotations

import dataclasses
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import analysis, build, culprit, extension, gotool, load
from .capture import CaptureError, Snapshot, prime, settle, take_snapshot
from .httpget import FetchError, get
from .options import Settings
from .report.reproduce import pprof_commands
from .runtime.base import Instance, RuntimeFailure, wait_healthy
from .scenario import Extension, Scenario
from .units import format_bytes
from .verdict import Verdict, judge, outcome

TRACE_SECONDS = 1


class ScenarioSkipped(Exception):
    """The scenario cannot run here (a service is missing); the message says how to provide it."""


def effective(scenario: Scenario, settings: Settings) -> Scenario:
    """Apply run-wide overrides (--goleak-requests, --goleak-snapshots) and defaults."""
    load_cfg = scenario.load
    if settings.requests:
        load_cfg = dataclasses.replace(load_cfg, requests=settings.requests)
    ext = Extension(factor=scenario.extension.factor or settings.extension_factor,
                    timeout=scenario.extension.timeout or settings.extension_timeout)
    return dataclasses.replace(
        scenario, load=load_cfg, snapshots=settings.snapshots or scenario.snapshots,
        budgets={**settings.budgets, **scenario.budgets},
        memprofilerate=scenario.memprofilerate or settings.memprofilerate, extension=ext,
    )


def base_result(scenario: Scenario) -> dict[str, Any]:
    return {"name": scenario.name, "file": str(scenario.path), "description": scenario.description,
            "expect": scenario.expect, "culprit_expected": scenario.culprit, "verdict": "error", "passed": False,
            "message": "", "error": None, "duration_s": 0.0, "requests": 0, "budgets": {}, "signals": {},
            "culprits": [], "growth": {}, "heap_diff_stacks": [], "goroutine_groups": [], "snapshots": [],
            "artifacts": {}, "gctrace_excerpt": [], "pprof_command": None, "container": None, "build": None,
            "pprof_diff_base_command": None, "server_connections": {}, "vet": None, "load": None,
            "extension": None, "memprofilerate": None, "health_path": None}


class Runner:
    def __init__(self, settings: Settings, run_id: str, docker_client: Any = None, services: Any = None, *,
                 progress: Callable[[str], None] | None = None) -> None:
        self.settings = settings
        self.run_id = run_id
        self.docker = docker_client
        self.services = services
        self.progress: Callable[[str], None] = progress or (lambda line: None)

    def run(self, raw: Scenario) -> dict[str, Any]:
        scenario = effective(raw, self.settings)
        result = base_result(scenario)
        out_dir = self.settings.report_dir / scenario.name
        shutil.rmtree(out_dir, ignore_errors=True)
        out_dir.mkdir(parents=True, exist_ok=True)
        t0 = time.monotonic()
        try:
            self._run(scenario, result, out_dir)
        except ScenarioSkipped as exc:
            result.update(verdict="skipped", passed=True, message=str(exc))
        except _OOM as exc:
            # Running out of memory at the limit under load is the strongest evidence of a leak.
            passed, why = outcome("leak", scenario.expect, None, None)
            result.update(verdict="leak", passed=passed, oom=str(exc).splitlines()[0],
                          message=f"{why}\n  {str(exc).splitlines()[0]}")
        except (build.BuildError, RuntimeFailure, CaptureError, FetchError, load.LoadError, gotool.GoError) as exc:
            result.update(verdict="error", passed=False, error=str(exc),
                          message=f"{type(exc).__name__}: {_first_line(exc)}")
        except Exception as exc:
            if not _is_engine_error(exc):
                raise
            # The engine refused or timed out (docker.errors.APIError, a client ReadTimeout): this
            # scenario's error, while the others still run.
            result.update(verdict="error", passed=False, error=f"Docker engine: {exc}",
                          message=f"Docker engine error ({type(exc).__name__}): {_first_line(exc)}")
        finally:
            result["duration_s"] = round(time.monotonic() - t0, 2)
        self.progress(f"verdict {result['verdict']} ({'pass' if result['passed'] else 'FAIL'}, "
                      f"{result['duration_s']:.1f}s)")
        return result

    def _env(self, scenario: Scenario, result: dict[str, Any]) -> tuple[dict[str, str], list[Any]]:
        env: dict[str, str] = {}
        provided = []
        for name in scenario.services:
            if self.services is None:
                raise ScenarioSkipped(f"service {name!r} is not available in this runtime")
            from .services import ServiceUnavailable

            try:
                svc = self.services.get(name)
            except ServiceUnavailable as exc:
                raise ScenarioSkipped(f"needs {name}: {exc}") from exc
            env.update(svc.env)
            provided.append(svc)
            result["server_connections"][name] = []
        env.update(scenario.env)
        env["GODEBUG"] = godebug(scenario.memprofilerate, scenario.env.get("GODEBUG"))
        return env, provided

    def _start(self, scenario: Scenario, env: dict[str, str], result: dict[str, Any]) -> Instance:
        cache = self.settings.cache_dir
        if self.settings.runtime == "local":
            from .runtime.local import LocalRuntime

            art = build.build_for_local(scenario, cache)
            result["build"] = art.to_json()
            self._said_build(art)
            assert art.binary is not None
            return LocalRuntime().start(art.binary, port_env=scenario.port_env, env=env, args=scenario.args,
                                        files=scenario.files, port=scenario.port, pprof_port=scenario.pprof_port)
        from .runtime.docker import DockerRuntime

        art = build.build_for_docker(scenario, self.docker, cache)
        result["build"] = art.to_json()
        self._said_build(art)
        assert art.image is not None
        network = scenario.network
        if network == "auto":
            network = "host" if scenario.services else "bridge"
        return DockerRuntime(self.docker, self.run_id).start(
            art.image, scenario_name=scenario.name, port=scenario.port, port_env=scenario.port_env,
            pprof_port=scenario.pprof_port, env=env, network=network, memory=scenario.limits.memory,
            pids=scenario.limits.pids, nonroot=scenario.fixture is not None, args=scenario.args,
            files=scenario.files)

    def _said_build(self, art: build.Artifact) -> None:
        self.progress(f"build {'cached' if art.cached else 'compiled'} ({art.seconds:.1f}s)")

    def _run(self, scenario: Scenario, result: dict[str, Any], out_dir: Path) -> None:
        env, services = self._env(scenario, result)
        loadgen = load.loadgen_binary(self.settings.cache_dir)
        instance = self._start(scenario, env, result)
        result["container"] = {"runtime": instance.info.runtime, **instance.info.details}
        self.progress(f"start: {instance.info.runtime} at {instance.base_url}")
        try:
            result["health_path"] = wait_healthy(instance, scenario.health_path or "/healthz", scenario.health_timeout,
                                                 fallback=None if scenario.health_path else "/debug/pprof/")
            self.progress(f"health: {result['health_path']} answered")
            try:
                snaps = self._drive(scenario, instance, loadgen, services, result, out_dir)
            except (CaptureError, FetchError, load.LoadError, RuntimeFailure) as exc:
                if not isinstance(exc, _OOM):
                    _explain_death(instance, scenario, result.get("requests") or 0, exc)
                raise
        finally:
            try:
                logs = instance.logs()
                status = instance.status()
            finally:
                instance.close()  # even when a second Ctrl-C cuts the log fetch short
            (out_dir / "container.log").write_text(logs)
            result["artifacts"]["log"] = f"{scenario.name}/container.log"
            result["container"].update(exit_code=status.exit_code, oom_killed=status.oom_killed)
        self._gctrace(logs, snaps, result, out_dir, scenario.name)
        self._judge(scenario, snaps, result)

    def _drive(self, scenario: Scenario, instance: Instance, loadgen: Path, services: list[Any],
               result: dict[str, Any], out_dir: Path) -> list[Snapshot]:
        report_dir = self.settings.report_dir
        snaps: list[Snapshot] = []
        phases: list[dict[str, Any]] = []
        per_phase = max(1, scenario.load.requests // (scenario.snapshots - 1))
        deadline = time.monotonic() + scenario.timeout
        prime(instance, timeout=scenario.capture_timeout)
        with load.LoadDriver(loadgen, instance.base_url, scenario.load) as driver:
            if scenario.load.warmup_requests:
                phases.append(dataclasses.asdict(driver.run(scenario.load.warmup_requests)))
                self.progress(f"warm-up: {scenario.load.warmup_requests} requests")
            t_start = time.monotonic()

            def step(phase: str) -> None:
                if snaps:
                    phases.append(dataclasses.asdict(driver.run(per_phase)))
                answered = sum(p["ok"] for p in phases)  # so far: the evidence if the fixture dies next
                result["requests"] = answered
                self._check_alive(instance, scenario, answered)
                settled = settle(instance, timeout=scenario.capture_timeout)
                snap = take_snapshot(instance, len(snaps), round(time.monotonic() - t_start, 3), driver.total,
                                     out_dir, report_dir, timeout=scenario.capture_timeout, phase=phase,
                                     settle_s=settled, ignore=scenario.ignore)
                counts = [svc.connections() for svc in services]
                for svc, count in zip(services, counts, strict=True):
                    result["server_connections"][svc.name].append([snap.requests, count])
                if counts and all(c is not None for c in counts):
                    snap.server_connections = float(sum(c for c in counts if c is not None))
                snaps.append(snap)

            for i in range(scenario.snapshots):
                step("main")
                self.progress(f"snapshot {i + 1}/{scenario.snapshots} at {snaps[-1].requests} requests")
                if time.monotonic() > deadline:
                    raise RuntimeFailure(f"the scenario ran past its timeout of {scenario.timeout:.0f}s "
                                         f"after {i + 1} of {scenario.snapshots} snapshots")
            result["load"] = _load_summary(phases, driver.total)
            _check_load(scenario, result["load"])
            result["extension"] = self._extend(scenario, snaps, step, deadline)
            self._trace(instance, driver, per_phase, out_dir, result, scenario.name)
        result["requests"] = snaps[-1].requests
        result["load"] = _load_summary(phases, driver.total)
        return snaps

    def _extend(self, scenario: Scenario, snaps: list[Snapshot], step: Callable[[str], None],
                deadline: float) -> dict[str, Any] | None:
        """Keep the load going while a per-1k budget is over, up to the bound: see extension.py."""
        dicts = [s.to_json() for s in snaps]
        over = extension.over_slope_budgets(judge(scenario.budgets, analysis.trends(dicts), dicts))
        factor = scenario.extension.factor or 1.0
        if not over or factor <= 1:
            return None
        bound = int(factor * scenario.load.requests)
        t0 = time.monotonic()
        # The extension stops, without failing, before the scenario's own timeout.
        stop_at = min(t0 + (scenario.extension.timeout or 0.0), deadline - 5.0)
        start_requests, first = snaps[-1].requests, snaps[0].requests
        reason = ", ".join(c.name for c in over)
        self.progress(f"extension: {reason} over budget; load continues up to {bound} requests")
        stopped = "bound"
        while snaps[-1].requests - first < bound:
            if time.monotonic() >= stop_at:
                stopped = "timeout"
                break
            step("extension")
            if len(snaps) - 1 > scenario.snapshots:
                _drop_profiles(snaps[-2], self.settings.report_dir)
            dicts.append(snaps[-1].to_json())
            self.progress(f"extension snapshot {len(snaps)} at {snaps[-1].requests} requests")
            if extension.plateau_reached(over, dicts, scenario.snapshots):
                stopped = "plateau"
                break
        return {"reason": reason, "budgets": [c.name for c in over], "from_snapshot": scenario.snapshots,
                "requests_at_start": start_requests,
                "requests_at_end": snaps[-1].requests, "bound_requests": bound + first, "stopped": stopped,
                "snapshots": len(snaps) - scenario.snapshots, "seconds": round(time.monotonic() - t0, 2)}

    def _check_alive(self, instance: Instance, scenario: Scenario, requests: int) -> None:
        st = instance.status()
        if st.running:
            return
        if st.oom_killed:
            raise _OOM(f"OOM-killed at {format_bytes(scenario.limits.memory)} after {requests} requests",
                       st.exit_code, instance.logs(), True)
        raise RuntimeFailure(f"the fixture exited with code {st.exit_code} after {requests} requests",
                             st.exit_code, instance.logs())

    def _trace(self, instance: Instance, driver: load.LoadDriver, per_phase: int, out_dir: Path,
               result: dict[str, Any], name: str) -> None:
        """A short execution trace under load, for ``go tool trace`` (field guide, ch. 2.2)."""
        box: dict[str, Any] = {}

        def fetch() -> None:
            try:
                box["body"] = get(f"{instance.pprof_url}/debug/pprof/trace?seconds={TRACE_SECONDS}", timeout=30)
            except FetchError as exc:
                box["error"] = str(exc)

        thread = threading.Thread(target=fetch, daemon=True)
        thread.start()
        driver.run(min(per_phase, 500))  # traffic for the trace to show; after the last snapshot
        thread.join(timeout=35)
        if "body" in box:
            (out_dir / "trace.out").write_bytes(box["body"])
            result["artifacts"]["trace"] = f"{name}/trace.out"

    def _gctrace(self, logs: str, snaps: list[Snapshot], result: dict[str, Any], out_dir: Path, name: str) -> None:
        events = analysis.parse_gctrace(logs)
        gc_lines = [line for line in logs.splitlines() if line.startswith("gc ")]
        (out_dir / "gctrace.txt").write_text("\n".join(gc_lines) + "\n")
        result["artifacts"]["gctrace"] = f"{name}/gctrace.txt"
        result["gctrace_excerpt"] = gc_lines[-12:]
        by_number = {e.number: e for e in events}
        for s in snaps:
            # memstats were read right after a forced GC (heap?gc=1&debug=1): NumGC names its line.
            event = by_number.get(int(s.memstats.get("NumGC", -1)))
            s.gc_live_heap_bytes = float(event.live_heap) if event else None

    def _judge(self, scenario: Scenario, snaps: list[Snapshot], result: dict[str, Any]) -> None:
        snap_dicts = [s.to_json() for s in snaps]
        main = [d for d in snap_dicts if d["phase"] == "main"]
        result["snapshots"] = snap_dicts
        trends = analysis.trends(main)  # the measured window: what the budgets speak of
        verdict = judge(scenario.budgets, trends, snap_dicts)
        ext = result.get("extension")
        notes: tuple[str, ...] = ()
        if ext:
            decision = extension.decide(verdict, snap_dicts, scenario.snapshots)
            verdict, notes = decision.verdict, decision.notes
            ext.update(outcome="leak" if verdict.verdict == "leak" else "plateau", plateaus=list(decision.plateaus),
                       notes=list(notes))
        result["signals"] = _signals(trends, analysis.trends(snap_dicts) if ext else None, ext)
        result["budgets"] = {c.name: c.to_json() for c in verdict.checks}
        result["memprofilerate"] = {"requested": scenario.memprofilerate, "in_force": snaps[-1].memprofilerate}
        goroutines_first = trends.get("goroutines") is not None and trends["goroutines"].decision == "growing"
        module = gotool.module_path(scenario.fixture) if scenario.fixture else None
        over = {c.name for c in verdict.exceeded}
        heap_by = ("inuse_objects" if "heap_objects_per_1k_requests" in over
                   and "heap_inuse_bytes_per_1k_requests" not in over else "inuse_space")
        found = culprit.find(self.settings.report_dir, snap_dicts[0], snap_dicts[-1], goroutines_first, module,
                             heap_by=heap_by, ignore=scenario.ignore)
        result.update(culprits=found.culprits, growth=found.growth, heap_diff_stacks=found.heap_diff_stacks,
                      goroutine_groups=found.goroutine_groups)
        if found.errors:
            result["analysis_errors"] = found.errors
        if scenario.ignore:
            result["ignored_goroutines"] = found.ignored
        first_heap = snap_dicts[0]["profiles"].get("heap")
        last_heap = snap_dicts[-1]["profiles"].get("heap")
        result.update(pprof_commands(self.settings.report_dir, first_heap, last_heap, self.settings.invocation_dir))
        if scenario.fixture is not None and self.settings.vet:
            from .vet import relate, run_vet

            result["vet"] = relate(run_vet(scenario.fixture), found.culprits)
        top = found.top if verdict.verdict == "leak" else None
        passed, why = outcome(verdict.verdict, scenario.expect, scenario.culprit, top)
        result.update(verdict=verdict.verdict, passed=passed)
        result["message"] = _message(verdict, found.culprits if verdict.verdict == "leak" else [], why, notes,
                                     result["memprofilerate"])


def _drop_profiles(snap: Snapshot, report_dir: Path) -> None:
    """An intermediate extension snapshot keeps its figures, not its files: the culprit and the
    diffs use the first and the last snapshot, and a leak's profiles grow with every snapshot."""
    for rel in snap.profiles.values():
        (report_dir / rel).unlink(missing_ok=True)
    snap.profiles = {}


def godebug(memprofilerate: int | None, user: str | None) -> str:
    """GODEBUG for a service: the sampling rate and the GC trace, then the user's own settings,
    which win (the runtime reads GODEBUG left to right, later settings overwriting earlier)."""
    parts = [f"memprofilerate={memprofilerate}"] if memprofilerate else []
    parts.append("gctrace=1")
    if user:
        parts.append(user)
    return ",".join(parts)


def _signals(main: dict[str, analysis.Trend], whole: dict[str, analysis.Trend] | None,
             ext: dict[str, Any] | None) -> dict[str, Any]:
    """Trends of the measured window; when the run was extended, each signal's series runs to the
    end and ``extended`` holds the trend over the whole series."""
    out: dict[str, Any] = {}
    for name, t in main.items():
        d = t.to_json()
        if whole and name in whole and ext:
            w = whole[name]
            d["series"] = [list(p) for p in w.series]
            d["extended"] = {"from_requests": ext["requests_at_start"], "slope_per_1k": w.slope_per_1k,
                             "decision": w.decision, "late_slope_per_1k": w.late_slope_per_1k}
        out[name] = d
    return out


#: More than this share of responses outside the expected statuses (or transport errors) is not
#: the load the scenario describes.
MAX_UNEXPECTED_SHARE = 0.05


def _load_summary(phases: list[dict[str, Any]], driver_requests: int) -> dict[str, Any]:
    status: dict[str, int] = {}
    for p in phases:
        for code, n in (p.get("status") or {}).items():
            status[code] = status.get(code, 0) + int(n)
    return {"phases": phases, "driver_requests": driver_requests,
            "rps": _median([p["rps"] for p in phases[1:]] or [0.0]),
            "errors": sum(p["errors"] for p in phases), "status": dict(sorted(status.items()))}


def _check_load(scenario: Scenario, summary: dict[str, Any]) -> None:
    expected = scenario.load.expect_status
    status: dict[str, int] = summary["status"]
    errors = int(summary["errors"])
    total = errors + sum(status.values())
    unexpected = errors + sum(n for code, n in status.items()
                              if (int(code) not in expected if expected else not 200 <= int(code) < 400))
    if total and unexpected / total > MAX_UNEXPECTED_SHARE:
        counts = ", ".join(f"{code}: {n}" for code, n in status.items())
        if errors:
            counts += f", transport errors: {errors}"
        first = next((p["first_error"] for p in summary["phases"] if p.get("first_error")), None)
        want = ", ".join(map(str, expected)) if expected else "2xx/3xx"
        raise load.LoadError(
            f"{unexpected} of {total} responses ({unexpected / total:.0%}) were not {want} ({counts})"
            + (f"; first error: {first}" if first else "")
            + ": not the load the scenario describes. Fix load.path/method, or declare the statuses it "
              "expects with load.expect_status.")


def _first_line(exc: BaseException) -> str:
    return (str(exc).splitlines() or [type(exc).__name__])[0]


def _is_engine_error(exc: BaseException) -> bool:
    """An exception of the docker SDK or of the HTTP stack under it."""
    return type(exc).__module__.split(".")[0] in ("docker", "requests", "urllib3")


class _OOM(RuntimeFailure):
    pass


def _explain_death(instance: Instance, scenario: Scenario, requests: int, exc: Exception) -> None:
    """A failed capture or a dead load driver is often only the symptom of a fixture that died:
    raise what really happened (OOM-kill, or exit code and logs) instead of the symptom."""
    deadline = time.monotonic() + 1.5  # the engine notices an exit a moment after the sockets close
    st = instance.status()
    while st.running and time.monotonic() < deadline:
        time.sleep(0.1)
        st = instance.status()
    if st.running:
        return
    if st.oom_killed:
        raise _OOM(f"OOM-killed at {format_bytes(scenario.limits.memory)} after {requests} requests",
                   st.exit_code, instance.logs(), True) from exc
    if not isinstance(exc, RuntimeFailure) or exc.exit_code is None:
        symptom = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise RuntimeFailure(f"the fixture exited with code {st.exit_code} after {requests} requests "
                             f"({symptom})", st.exit_code, instance.logs()) from exc


def _message(verdict: Verdict, culprits: list[dict[str, Any]], why: str, notes: tuple[str, ...],
             rate: dict[str, Any]) -> str:
    lines = [why]
    lines += [f"  {r}" for r in verdict.reasons]
    lines += [f"  extension: {n}" for n in notes]
    in_force = rate.get("in_force")
    if in_force is not None and in_force != rate.get("requested"):
        lines.append(f"  the service sets runtime.MemProfileRate={in_force} itself "
                     f"(asked for {rate.get('requested')})")
    if culprits:
        c = culprits[0]
        where = f"{Path(c['file']).name}:{c['line']}" if c.get("file") else "?"
        kind = "goroutine stack" if c["kind"] == "goroutine" else "heap allocation site"
        state = f" [{c['state']}]" if c.get("state") else ""
        lines.append(f"  top growing {kind}: {c['function']} ({where}){state}")
    return "\n".join(lines)


def _median(values: list[float]) -> float:
    s = sorted(values)
    return s[len(s) // 2] if s else 0.0

"""``--goleak-runtime=local``: fixtures as host processes in their own process group, no Docker.

Black-box through a real ``pytest --goleak`` subprocess on the goroutine_chan twins (and the
redis_client fixed twin when redis-server is installed): the leak is found, the clean twin is
clean, no fixture process is left, and every signal but the container's cgroup is present.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest

from tests.conftest import REPO
from tests.integration.test_faults import copy_scenario, pytest_cmd, strays

pytestmark = pytest.mark.integration
SMALL = {"requests: 3000": "requests: 1200", "requests: 1500": "requests: 900",
         "snapshots: 6": "snapshots: 4"}


def test_local_runtime_end_to_end(tmp_path, go_toolchain, monkeypatch):
    names = ["goroutine_chan_leaky", "goroutine_chan_fixed"]
    if shutil.which("redis-server"):
        names.append("redis_client_fixed")  # a service on 127.0.0.1, reached through REDIS_URL
    for name in names:
        copy_scenario(REPO / "scenarios" / f"{name}.yaml", tmp_path / "scenarios", **SMALL)
    cache = tmp_path / "cache"
    # No Docker at all: an unreachable engine must not matter to the local runtime.
    env = {**os.environ, "GOLEAK_CACHE_DIR": str(cache), "DOCKER_HOST": "unix:///nonexistent/docker.sock",
           "REDIS_URL": "redis://192.0.2.1:6379/0"}  # a developer's own URL must not reach the fixture
    done = subprocess.run(pytest_cmd("scenarios", "--goleak-runtime=local", "--goleak-report", "rep"),
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600, check=False)
    out = done.stdout + done.stderr
    assert done.returncode == 0, out[-4000:]
    by_name = {s["name"]: s for s in json.loads((tmp_path / "rep" / "results.json").read_text())["scenarios"]}
    assert {n: by_name[n]["verdict"] for n in names} == {
        n: ("leak" if n.endswith("leaky") else "clean") for n in names}
    assert by_name["goroutine_chan_leaky"]["culprits"][0]["function"] == "main.lookup"
    for name in names:
        r = by_name[name]
        assert r["container"]["runtime"] == "local"
        pgid = r["container"]["process_group"]
        assert pgid == r["container"]["pid"]  # its own process group, killed as a whole
        snaps = r["snapshots"]
        for i, snap in enumerate(snaps):
            assert snap["cgroup_memory_bytes"] is None  # no cgroup of our own
            for present in ("goroutines", "heap_inuse_bytes", "heap_objects", "rss_bytes", "threads", "fds"):
                assert snap[present] is not None, (name, present)
            if snap["phase"] == "main" or i == len(snaps) - 1:
                assert snap["profiles"]["heap"].endswith(".pb.gz")
            else:  # an intermediate extension snapshot keeps its figures, not its files
                assert snap["profiles"] == {}
        with pytest.raises(ProcessLookupError):
            os.killpg(pgid, 0)
    if "redis_client_fixed" in by_name:
        counts = [n for _, n in by_name["redis_client_fixed"]["server_connections"]["redis"]]
        assert counts and all(n is not None and n >= 1 for n in counts)  # it really talked to our redis
    assert strays(cache) == []

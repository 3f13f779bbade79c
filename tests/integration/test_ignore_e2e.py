"""A scenario's ignore list, end to end: the ignored goroutines leave the signal and the culprits,
and are listed in the report; a bad regex fails its item with file:line, the others still run."""

from __future__ import annotations

import json
import subprocess

import pytest

from tests.conftest import REPO
from tests.integration.test_faults import pytest_cmd

pytestmark = pytest.mark.integration
LEAKY = REPO / "go_fixtures" / "goroutine_chan" / "leaky"


def test_ignored_goroutines_leave_the_signal_and_are_listed(tmp_path, docker_client, go_toolchain):
    scen = tmp_path / "scenarios"
    scen.mkdir()
    base = f"fixture: {LEAKY}\nload: {{path: /work, requests: 1000}}\nextension: false\n"
    (scen / "chan_ignored.yaml").write_text(base + "ignore:\n  - top: main.lookup\n")
    (scen / "chan_plain.yaml").write_text(base)
    (scen / "chan_badregex.yaml").write_text(base + "ignore:\n  - created_by: 're:main.(handleWork'\n")
    done = subprocess.run(pytest_cmd("scenarios", "--goleak-report", "rep", "-q"), cwd=tmp_path,
                          capture_output=True, text=True, timeout=600, check=False, stdin=subprocess.DEVNULL)
    out = done.stdout + done.stderr
    assert "chan_badregex.yaml:5: 'ignore':" in out and "not a valid regular expression" in out, out[-3000:]
    by = {s["name"]: s for s in json.loads((tmp_path / "rep" / "results.json").read_text())["scenarios"]}
    plain, ignored = by["chan_plain"], by["chan_ignored"]
    # Without the list: ~1,000 blocked main.lookup goroutines per 1k requests, and they lead the culprits.
    assert plain["signals"]["goroutines"]["slope_per_1k"] > 500
    assert any(c["kind"] == "goroutine" and c["function"] == "main.lookup" for c in plain["culprits"])
    # With it: the signal is flat, every snapshot says how many it left out, and the report lists them.
    assert abs(ignored["signals"]["goroutines"]["slope_per_1k"]) < 5
    counts = [s["goroutines_ignored"] for s in ignored["snapshots"]]
    assert counts[-1] > counts[0] + 500, counts
    assert not any(c["kind"] == "goroutine" and c["function"] == "main.lookup" for c in ignored["culprits"])
    listed = ignored["ignored_goroutines"]
    assert listed and listed[0]["rule"] == "top: main.lookup" and listed[0]["count"] > 500
    assert "Ignored by the scenario" in (tmp_path / "rep" / "chan_ignored" / "index.html").read_text()

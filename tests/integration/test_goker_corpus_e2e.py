"""GoBench goker cases from the installed Go, run as users' services on a real Docker engine.

Four of the 23 deterministic cases (all of them: benchmarks/bench_goker.py, about 9 minutes): one
that leaks two expected goroutines per run, one whose expected goroutines wait on a channel and a
sync.Cond, one with a 100 ms wait per run, one started as a method value.
"""

from __future__ import annotations

import json

import pytest

from pytest_goleak.corpora import goker
from pytest_goleak.corpora.goker_cases import BY_NAME
from tests.conftest import our_containers

pytestmark = pytest.mark.integration
CASES = ("Cockroach35073", "Moby30408", "Grpc1424", "Kubernetes25331")


@pytest.fixture(scope="module")
def goker_corpus(go_toolchain):
    try:
        return goker.corpus_dir(go_toolchain)
    except goker.CorpusUnavailable as exc:
        pytest.skip(str(exc))


def test_goker_cases_are_detected_and_the_culprit_is_an_expected_goroutine(pytester, docker_client, goker_corpus):
    result = pytester.runpytest_subprocess(
        "--goleak", "--goleak-corpus", "goker", "-k", " or ".join(CASES), "--goleak-report", "rep",
        "-p", "no:cacheprovider", timeout=600)
    result.assert_outcomes(passed=len(CASES), deselected=23 - len(CASES))
    data = json.loads((pytester.path / "rep" / "results.json").read_text())
    by_name = {s["name"]: s for s in data["scenarios"]}
    assert sorted(by_name) == sorted(f"goker_{c}" for c in CASES)
    for case in CASES:
        s = by_name[f"goker_{case}"]
        assert s["verdict"] == "leak", (case, s["message"])
        assert s["budgets"]["goroutines_per_1k_requests"]["measured"] >= 900  # at least one goroutine per run
        agreed = goker.agreement(BY_NAME[case], s["culprits"][0])
        assert agreed.held, (case, agreed, s["culprits"][0]["function"])
        assert "/corpora/goker/" in s["culprits"][0]["file"]  # built under the harness cache, never the repo
    assert our_containers(docker_client, *(f"goker_{c}" for c in CASES)) == []

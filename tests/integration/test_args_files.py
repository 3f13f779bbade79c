"""`args:` and `files:` reach the service, under the Docker runtime and the local runtime.

go_fixtures/faults/startup exits with code 2 unless it gets `-config PATH -greeting WORD` and can
read PATH, so a clean verdict means both arrived; the same scenario without them is an error.
"""

from __future__ import annotations

import json
import textwrap

import pytest

from tests.conftest import REPO, our_containers

pytestmark = pytest.mark.integration
STARTUP = REPO / "go_fixtures" / "faults" / "startup"


def scenario(name: str, with_args: bool) -> str:
    text = textwrap.dedent(f"""\
        name: {name}
        fixture: {STARTUP}
        expect: clean
        load: {{path: /config, requests: 400, warmup_requests: 50, concurrency: 4}}
        snapshots: 4
        """)
    if with_args:
        text += textwrap.dedent("""\
            args: [-config, /etc/startup/app.conf, -greeting, hello]
            files:
              /etc/startup/app.conf: app.conf
            """)
    return text


@pytest.mark.parametrize("runtime", ["docker", "local"])
def test_args_and_files_reach_the_service(go_toolchain, runtime, request):
    # The engine client first: pytester drops modules first imported while it is active, and a
    # session-wide client left holding the dropped docker.errors classes breaks later tests.
    if runtime == "docker":
        request.getfixturevalue("docker_client")
    pytester = request.getfixturevalue("pytester")
    pytester.mkdir("scenarios")
    (pytester.path / "scenarios" / "app.conf").write_text("listen = here\n")
    (pytester.path / "scenarios" / "with_args.yaml").write_text(scenario(f"startup_{runtime}", True))
    (pytester.path / "scenarios" / "without.yaml").write_text(scenario(f"startup_bare_{runtime}", False))
    result = pytester.runpytest_subprocess("--goleak", "scenarios", f"--goleak-runtime={runtime}",
                                           "--goleak-report", "rep", "-p", "no:cacheprovider", "--no-header")
    result.assert_outcomes(passed=1, failed=1)
    data = {s["name"]: s for s in json.loads((pytester.path / "rep" / "results.json").read_text())["scenarios"]}
    good, bare = data[f"startup_{runtime}"], data[f"startup_bare_{runtime}"]
    assert (good["verdict"], good["passed"]) == ("clean", True), good["message"]
    assert good["load"]["phases"][-1]["status"] == {"200": good["load"]["phases"][-1]["requests"]}
    assert bare["verdict"] == "error" and "usage: startup -config PATH" in bare["error"], bare
    if runtime == "local":  # the mounted path was rewritten to the copy, which is read-only
        (local_copy,) = good["container"]["files"].values()
        assert good["container"]["args"] == ["-config", local_copy, "-greeting", "hello"]
        assert local_copy.endswith("/root/etc/startup/app.conf")
    else:
        assert "1 read-only file mount(s)" in good["container"]["hardening"]
        assert our_containers(request.getfixturevalue("docker_client"), f"startup_{runtime}",
                              f"startup_bare_{runtime}") == []

"""Traffic that reaches the leak: load.mix, load.abort, load.seed, load.duration, setup steps and
request variables, as scenario keys (file:line errors) and as the setup stage runs them."""

from __future__ import annotations

import http.server
import json
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_goleak import validate
from pytest_goleak.run.load import spec
from pytest_goleak.run.setup_steps import SetupError, capture, run_steps
from pytest_goleak.scenario.parse import Abort, Request, ScenarioError, SetupStep, load_scenario

GOOD = """\
fixture: pkg
setup:
  - method: POST
    path: /login
    body: '{"user": "ada"}'
    capture: {token: "json:data.sessions.0.token", trace: "header:X-Trace"}
  - {command: [./seed.sh, --fast], timeout: 5s}
load:
  seed: 42
  abort: {share: 0.3, after: 5ms}
  expect_status: [200]
  mix:
    - {path: "/u/{seq}?r={rand:1-9}", headers: {Authorization: "Bearer {token}"}, weight: 9}
    - {path: /export, method: POST, body: '{"id": "{uuid}", "t": "{trace}"}', weight: 1, expect_status: [202]}
"""


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "pkg").mkdir(exist_ok=True)
    p = tmp_path / "s.yaml"
    p.write_text(text)
    return p


def test_a_full_traffic_scenario(tmp_path):
    s = load_scenario(write(tmp_path, GOOD))
    login, seed = s.setup
    assert login.request == Request("/login", "POST", {}, '{"user": "ada"}')
    assert login.capture == {"token": "json:data.sessions.0.token", "trace": "header:X-Trace"}
    assert (login.line, seed.line, seed.command, seed.timeout) == (3, 7, ("./seed.sh", "--fast"), 5.0)
    assert s.load.abort == Abort(0.3, 0.005) and s.load.seed == 42
    busy, export = s.load.entries()
    assert (busy.weight, busy.expect_status, busy.label) == (9.0, (200,), "GET /u/{seq}?r={rand:1-9}")
    assert (export.method, export.weight, export.expect_status) == ("POST", 1.0, (202,))


def test_the_driver_spec_carries_the_mix_vars_seed_and_abort(tmp_path):
    s = load_scenario(write(tmp_path, GOOD))
    got = spec("http://127.0.0.1:9", s.load, {"token": "t", "trace": "x"}, 7)
    assert got["seed"] == 7 and got["vars"] == {"token": "t", "trace": "x"}
    assert got["abort"] == {"share": 0.3, "after_s": 0.005}
    assert got["requests"][0] == {"method": "GET", "path": "/u/{seq}?r={rand:1-9}",
                                  "headers": [["Authorization", "Bearer {token}"]], "body": "", "weight": 9.0}
    plain = spec("http://h", load_scenario(write(tmp_path, "fixture: pkg\nload: {path: /w}\n")).load, {}, 1)
    assert [r["path"] for r in plain["requests"]] == ["/w"] and "abort" not in plain


@pytest.mark.parametrize(("change", "line", "message"), [
    (("{seq}?r", "{sq}?r"), 13, "unknown variable {sq}"),
    (("Bearer {token}", "Bearer {tokne}"), 13, "unknown variable {tokne}"),
    (("{rand:1-9}", "{rand:9-1}"), 13, "want {rand:LO-HI}"),
    (("{rand:1-9}", "{rand:x}"), 13, "want {rand:LO-HI}"),
    (("weight: 1,", "weight: 0,"), 14, "'load.mix[1].weight' must be a number above 0"),
    (("weight: 9", "weight: -2"), 13, "'load.mix[0].weight' must be a number above 0"),
    (("share: 0.3", "share: 1.5"), 10, "'load.abort.share' must be a share"),
    (("share: 0.3", "share: 0"), 10, "'load.abort.share' must be a share"),
    (("json:data.sessions.0.token", "jsn:token"), 6, "'jsn:token' is not a capture"),
    (("json:data.sessions.0.token", "json:a..b"), 6, "'json:a..b' is not a capture"),
    (("header:X-Trace", "header:"), 6, "'header:' is not a capture"),
    (("capture: {token", "capture: {seq"), 6, "'seq' cannot be a variable name"),
    (("path: /login", "path: /login/{seq}"), 4, "belong to the load"),
    (("seed: 42", "seed: -1"), 9, "'load.seed' must be at least 0"),
    (("timeout: 5s", "timeout: 0s"), 7, "'setup[1].timeout' must be more than zero"),
    (("weight: 9}", "weight: 9, bogus: 1}"), 13, "unknown key 'load.mix[0].bogus'"),
    (('"t": "{trace}"}', '"t": {"v": "{trace}"}}'), 14, "write '}}}}' for '}}'"),
])
def test_bad_traffic_is_a_file_line_error(tmp_path, change, line, message):
    text = GOOD.replace(*change)
    assert text != GOOD
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, text))
    assert err.value.line == line and message in err.value.message, str(err.value)


def test_a_variable_no_step_captures_is_unknown(tmp_path):
    with pytest.raises(ScenarioError, match=r":2: .*unknown variable \{token\}.*no setup step captures any"):
        load_scenario(write(tmp_path, "fixture: pkg\nload: {path: /x, headers: {A: '{token}'}}\n"))


def test_mix_and_shorthand_and_duration_exclude_each_other(tmp_path):
    with pytest.raises(ScenarioError, match=r":2: 'load.path' belongs to the one-request shorthand"):
        load_scenario(write(tmp_path, "fixture: pkg\nload:\n  path: /x\n  mix: [{path: /y}]\n".replace(
            "load:\n  path", "load: {path: /x, mix: [{path: /y}]}\nx", 1).split("\nx")[0] + "\n"))
    with pytest.raises(ScenarioError, match="give one of them"):
        load_scenario(write(tmp_path, "fixture: pkg\nload: {requests: 10, duration: 30s}\n"))
    s = load_scenario(write(tmp_path, "fixture: pkg\nload: {duration: 10m, rate: 50}\n"))
    assert s.load.duration == 600 and s.timeout >= 1.5 * 600


def test_template_grammar_matches_the_go_driver():
    """The cases of loadgen/template_test.go that decide what is a variable."""
    for text, names in {'{"id": "{uuid}"}': {"uuid"}, "{{seq}}": set(), "{ seq }": set(), "{9}": set(),
                        "/x?t={token}&lit={{token}}": {"token"}, '{"a": {"b": 1}}}}': set()}.items():
        assert validate.template_variables(text) == names, text
    assert validate.expand_captured("Bearer {token} {{token}} }}", {"token": "abc"}) == "Bearer abc {token} }"
    assert validate.json_braces('{"a": {"b": 1}}}}', "k") and validate.json_braces('{"n": {seq}}', "k")
    with pytest.raises(validate.InvalidSetting, match="0 <= LO <= HI"):  # beyond the driver's int64
        validate.template("{rand:1-9223372036854775808}", (), "'load.path'")
    assert validate.template("{rand:0-9223372036854775807}", (), "'load.path'")


class _Login(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802 - http.server's naming
        body = self.rfile.read(int(self.headers["Content-Length"] or 0))
        ok = self.path == "/login" and json.loads(body) == {"user": "ada"}
        out = json.dumps({"data": {"sessions": [{"token": "tok-1"}]}} if ok else {"error": "no such user"}).encode()
        self.send_response(200 if ok else 403)
        self.send_header("X-Trace", "tr-9")
        self.send_header("Content-Length", str(len(out)))
        self.end_headers()
        self.wfile.write(out)

    def do_GET(self) -> None:  # noqa: N802
        ok = self.headers.get("Authorization") == "Bearer tok-1"
        self.send_response(204 if ok else 401)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def base_url() -> Iterator[str]:
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Login)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{srv.server_address[1]}"
    srv.shutdown()
    srv.server_close()


def _login(capture_spec: dict[str, str], body: str = '{"user": "ada"}') -> SetupStep:
    return SetupStep(0, 3, Request("/login", "POST", {}, body), capture_spec)


def test_setup_captures_feed_later_steps(base_url, tmp_path):
    check = SetupStep(1, 9, Request("/me", "GET", {"Authorization": "Bearer {token}"}, expect_status=(204,)))
    got = run_steps([_login({"token": "json:data.sessions.0.token", "trace": "header:x-trace"}), check],
                    base_url, {}, tmp_path, 5.0)
    assert got == {"token": "tok-1", "trace": "tr-9"}


def test_a_failed_step_names_itself_its_status_and_its_answer(base_url, tmp_path):
    with pytest.raises(SetupError, match=r"setup step 1 \(POST /login\) answered 403, expected 2xx/3xx: "
                                         r"'\{\"error\": \"no such user\"\}'"):
        run_steps([_login({}, '{"user": "bob"}')], base_url, {}, tmp_path, 5.0)
    with pytest.raises(SetupError, match=r"capture 'token' \(json:data.sessions.1.token\) matched nothing"):
        run_steps([_login({"token": "json:data.sessions.1.token"})], base_url, {}, tmp_path, 5.0)


class _Drip(http.server.BaseHTTPRequestHandler):
    """A hostile login: headers at once, then one byte every 0.2 s for ever (a per-read timeout
    never fires)."""

    protocol_version = "HTTP/1.1"

    def do_POST(self) -> None:  # noqa: N802
        self.send_response(200)
        self.send_header("Content-Length", "100000")
        self.end_headers()
        try:
            for _ in range(500):
                self.wfile.write(b"x")
                self.wfile.flush()
                time.sleep(0.2)
        except OSError:
            pass

    def log_message(self, *args: object) -> None:
        pass


def test_a_step_whose_answer_drips_ends_at_its_deadline(tmp_path):
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Drip)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    try:
        t0 = time.monotonic()
        with pytest.raises(SetupError, match=r"setup step 1 \(POST /login\) did not finish within 1s"):
            run_steps([_login({})], f"http://127.0.0.1:{srv.server_address[1]}", {}, tmp_path, 1.0)
        assert time.monotonic() - t0 < 5
    finally:
        srv.shutdown()
        srv.server_close()


def test_capture_paths():
    body = json.dumps({"a": {"b": [{"c": "x"}, {"c": 5}], "n": None}}).encode()
    assert capture("json:a.b.0.c", body, lambda _: None) == "x"
    assert capture("json:a.b.1", body, lambda _: None) == '{"c": 5}'
    for missing in ("json:a.n", "json:a.b.2", "json:a.x", "json:a.b.c"):
        assert capture(missing, body, lambda _: None) is None, missing
    assert capture("json:a", b"not json", lambda _: None) is None
    assert capture("header:X-Id", b"", {"X-Id": "7"}.get) == "7"


def test_a_command_step_sees_the_urls_and_is_bounded(tmp_path):
    script = tmp_path / "seed.py"
    script.write_text("import os, sys\nopen('seen', 'w').write(os.environ['GOLEAK_BASE_URL'] + ' ' + "
                      "os.environ.get('REDIS_URL', ''))\nsys.exit(int(sys.argv[1]))\n")
    run_steps([SetupStep(0, 1, command=(sys.executable, "seed.py", "0"))], "http://h:1", {"REDIS_URL": "redis://r"},
              tmp_path, 1.0)
    assert (tmp_path / "seen").read_text() == "http://h:1 redis://r"
    with pytest.raises(SetupError, match=r"setup step 1 \(.*seed.py 3\) exited with code 3"):
        run_steps([SetupStep(0, 1, command=(sys.executable, "seed.py", "3"))], "http://h", {}, tmp_path, 1.0)
    sleeper = tmp_path / "sleep.py"
    sleeper.write_text("import os, subprocess, sys, time\nchild = subprocess.Popen([sys.executable, '-c', "
                       "'import time; time.sleep(60)'])\nopen('child', 'w').write(str(child.pid))\ntime.sleep(60)\n")
    t0 = time.monotonic()
    with pytest.raises(SetupError, match="ran past its timeout of 0.5s"):
        run_steps([SetupStep(0, 1, command=(sys.executable, "sleep.py"), timeout=0.5)], "http://h", {}, tmp_path,
                  1.0)
    assert time.monotonic() - t0 < 5
    child = int((tmp_path / "child").read_text())
    time.sleep(0.2)
    assert _gone(child), "the command's child outlived it: not killed with its process group"


def _gone(pid: int) -> bool:
    """Dead, or a zombie nobody has reaped yet (an orphan here may wait on a PID 1 that never reaps)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True

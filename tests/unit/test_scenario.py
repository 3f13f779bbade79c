from pathlib import Path

import pytest

from pytest_goleak.scenario.parse import ScenarioError, load_scenario

REPO = Path(__file__).resolve().parents[2]


def write(tmp_path: Path, text: str, name: str = "s.yaml") -> Path:
    (tmp_path / "pkg").mkdir(exist_ok=True)
    p = tmp_path / name
    p.write_text(text)
    return p


def test_shipped_scenarios_all_load():
    files = sorted((REPO / "scenarios").glob("*.yaml"))
    assert len(files) >= 2
    for f in files:
        s = load_scenario(f)
        assert s.name == f.stem
        assert s.fixture is not None and s.fixture.is_dir()
        assert s.expect in ("leak", "clean")


def test_defaults_and_sizes(tmp_path):
    s = load_scenario(write(tmp_path, "fixture: pkg\nbudgets:\n  heap_inuse_bytes_per_1k_requests: 1.5MB\n"
                                       "  goroutines_per_1k_requests: 2\nlimits: {memory: 64MiB}\n"))
    assert s.fixture == (tmp_path / "pkg").resolve()
    assert s.budgets == {"heap_inuse_bytes_per_1k_requests": 1_500_000.0, "goroutines_per_1k_requests": 2.0}
    assert s.limits.memory == 64 * 1024 * 1024
    assert s.expect is None and s.load.requests == 2000 and s.snapshots == 6
    assert s.health_path is None  # /healthz, falling back to /debug/pprof/ on a 404
    assert s.extension.factor is None and s.load.expect_status == ()


def test_extension_and_expected_statuses(tmp_path):
    s = load_scenario(write(tmp_path, "fixture: pkg\nextension: {factor: 2, timeout: 30s}\n"
                                       "load: {path: /x, expect_status: [200, 404]}\n"))
    assert (s.extension.factor, s.extension.timeout) == (2.0, 30.0)
    assert s.load.expect_status == (200, 404)
    assert load_scenario(write(tmp_path, "fixture: pkg\nextension: false\n")).extension.factor == 1.0


@pytest.mark.parametrize(("text", "line", "fragment"), [
    ("fixture: pkg\nexpect: maybe\n", 2, "'expect' must be one of"),
    ("fixture: pkg\nbogus: 1\n", 2, "unknown key 'bogus'"),
    ("fixture: pkg\nload:\n  path: /x\n  rps: 5\n", 4, "unknown key 'load.rps'"),
    ("fixture: pkg\nbudgets:\n  heap_inuse_bytes_per_1k_requests: lots\n", 3, "expected a size"),
    ("fixture: pkg\nsnapshots: 3\n", 2, "at least 4"),
    ("fixture: nowhere\n", 1, "not a directory"),
    ("expect: leak\n", 1, "exactly one of 'fixture'"),
    ("fixture: pkg\nload: [1, 2\n", 3, "YAML does not parse"),
    ("fixture: pkg\nload:\n  path: work\n", 3, "must start with '/'"),
    ("fixture: pkg\nservices: [mysql]\n", 2, "'services' must be a list"),
    ("- just\n- a list\n", 1, "must be a YAML mapping"),
    ("fixture: pkg\nextension:\n  factor: 0.5\n", 3, "'extension.factor' must be at least 1"),
    ("fixture: pkg\nextension:\n  timeout: 0s\n", 3, "'extension.timeout' must be more than zero"),
    ("fixture: pkg\nextension:\n  every: 2\n", 3, "unknown key 'extension.every'"),
    ("fixture: pkg\nload:\n  expect_status: [200, 99]\n", 3, "'load.expect_status' must be a list"),
    ("fixture: pkg\nload:\n  expect_status: 200\n", 3, "'load.expect_status' must be a list"),
])
def test_errors_name_file_and_line(tmp_path, text, line, fragment):
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.line == line, str(err.value)
    assert str(err.value).startswith(f"{path}:{line}: ")
    assert fragment in str(err.value)



def test_a_goleak_yaml_is_named_without_its_suffix(tmp_path):
    assert load_scenario(write(tmp_path, "fixture: pkg\n", name="orders.goleak.yaml")).name == "orders"
    assert load_scenario(write(tmp_path, "fixture: pkg\n", name="orders.yaml")).name == "orders"


def test_args_and_files(tmp_path):
    (tmp_path / "app.conf").write_text("x\n")
    s = load_scenario(write(tmp_path, "fixture: pkg\nargs: [run, --config, /etc/app/app.conf, -n, 3]\n"
                                       "files:\n  /etc/app/app.conf: app.conf\n"))
    assert s.args == ("run", "--config", "/etc/app/app.conf", "-n", "3")
    assert s.files == {"/etc/app/app.conf": (tmp_path / "app.conf").resolve()}
    assert load_scenario(write(tmp_path, "image: x\n")).args == ()


@pytest.mark.parametrize(("text", "line", "fragment"), [
    ("fixture: pkg\nargs: run --config x\n", 2, "'args' must be a list of strings"),
    ("fixture: pkg\nargs: [run, {a: 1}]\n", 2, "'args' must be a list of strings"),
    ("fixture: pkg\nargs: [true]\n", 2, "'args' must be a list of strings"),
    ("fixture: pkg\nfiles: [app.conf]\n", 2, "'files' must map paths in the container"),
    ("fixture: pkg\nfiles:\n  etc/app.conf: app.conf\n", 3, "is not absolute"),
    ("fixture: pkg\nfiles:\n  /etc/../app.conf: app.conf\n", 3, "no '..'"),
    ("fixture: pkg\nfiles:\n  /tmp/app.conf: app.conf\n", 3, "under /tmp"),
    ("fixture: pkg\nfiles:\n  /etc/app.conf: missing.conf\n", 3, "missing.conf is not a file"),
    ("fixture: pkg\nfiles:\n  /etc/app.conf: pkg\n", 3, "is not a file"),
    ("fixture: pkg\nfiles:\n  /etc/app.conf: 5\n", 3, "must be a file path relative to the scenario"),
])
def test_args_and_files_errors_name_file_and_line(tmp_path, text, line, fragment):
    (tmp_path / "app.conf").write_text("x\n")
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert err.value.line == line, str(err.value)
    assert str(err.value).startswith(f"{path}:{line}: ") and fragment in str(err.value), str(err.value)


@pytest.mark.parametrize("value", ["0", "0s", ".inf", ".nan", "-1s"])
@pytest.mark.parametrize(("text", "line", "key"), [
    ("timeout: {v}\n", 2, "timeout"),
    ("capture_timeout: {v}\n", 2, "capture_timeout"),
    ("health:\n  timeout: {v}\n", 3, "health.timeout"),
    ("load:\n  timeout: {v}\n", 3, "load.timeout"),
    ("load:\n  duration: {v}\n", 3, "load.duration"),
    ("load:\n  abort: {{share: 0.5, after: {v}}}\n", 3, "load.abort.after"),
    ("extension:\n  timeout: {v}\n", 3, "extension.timeout"),
])
def test_every_duration_is_read_by_one_rule_that_refuses_zero_and_infinity(tmp_path, text, line, key, value):
    path = write(tmp_path, "fixture: pkg\n" + text.format(v=value))
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value).startswith(f"{path}:{line}: '{key}'"), str(err.value)


def test_a_duration_above_zero_is_read_in_any_unit(tmp_path):
    s = load_scenario(write(tmp_path, "fixture: pkg\ntimeout: 2m\ncapture_timeout: 1500ms\n"
                                      "load:\n  abort: {share: 0.5, after: 5ms}\n"))
    assert (s.timeout, s.capture_timeout, s.load.abort.after if s.load.abort else None) == (120.0, 1.5, 0.005)

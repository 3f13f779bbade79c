"""The plugin's corpus option, detector declarations and hook, black-box through pytester (no Docker)."""

from __future__ import annotations

import textwrap

import pytest


def test_an_unknown_corpus_is_a_usage_error(pytester):
    result = pytester.runpytest_subprocess("--goleak", "--goleak-corpus", "nope")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*unknown corpus 'nope': expected one of goker*"])


def test_a_bad_detector_declaration_is_a_usage_error(pytester):
    pytester.makeini("[pytest]\ngoleak_detectors =\n    bodyclose = github.com/timakin/bodyclose@latest\n")
    result = pytester.runpytest_subprocess("--goleak", "--goleak-runtime", "local")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*goleak_detectors:*`latest` is not allowed*"])


def test_an_old_go_makes_one_failing_item_that_says_why(pytester, monkeypatch, tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    go = bin_dir / "go"
    go.write_text(f'#!/bin/sh\ncase "$2" in GOROOT) echo {tmp_path};; GOVERSION) echo go1.25.4;; esac\n')
    go.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:/usr/bin:/bin")
    result = pytester.runpytest_subprocess("--goleak", "--goleak-runtime", "local", "--goleak-corpus", "goker",
                                           "--goleak-report", "rep", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*corpus/goker*corpus not available: go1.25.4 has no goker directory*"])


def test_the_corpus_is_collected_from_the_installed_go(pytester, go_toolchain):
    pytester.makeini("[pytest]\ngoleak_corpus = goker\n")
    result = pytester.runpytest_subprocess("--goleak", "--goleak-runtime", "local", "--collect-only", "-q",
                                           "-k", "Cockroach or Moby7559", "-p", "no:cacheprovider")
    result.stdout.fnmatch_lines(["corpus/goker/Cockroach13197::goker_Cockroach13197",
                                 "corpus/goker/Moby7559::goker_Moby7559", "*8/23 tests collected (15 deselected)*"])


def test_the_detectors_hook_is_a_registered_hookspec(pytester):
    pytester.makeconftest(textwrap.dedent("""\
        from pytest_goleak.detectors import DetectorResult

        class Mine:
            name = "mine"

            def detect(self, target):
                return DetectorResult(self.name, "ran", flagged=True)

        def pytest_goleak_detectors(config):
            return [Mine()]
        """))
    pytester.makepyfile(textwrap.dedent("""\
        def test_hook(pytestconfig):
            found = [d for ds in pytestconfig.hook.pytest_goleak_detectors(config=pytestconfig) for d in ds]
            assert [d.name for d in found] == ["mine"]
        """))
    pytester.runpytest_subprocess("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_misspelt_hook_argument_is_rejected(pytester):
    pytester.makeconftest("def pytest_goleak_detectors(cfg):\n    return []\n")
    pytester.makepyfile("def test_x():\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    assert result.ret != pytest.ExitCode.OK
    result.stderr.fnmatch_lines(["*pytest_goleak_detectors*cfg*"])

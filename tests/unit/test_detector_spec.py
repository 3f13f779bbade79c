"""`name = package@version [args]` declarations of static detector commands."""

from __future__ import annotations

import pytest

from pytest_goleak.detectors import detectors_for
from pytest_goleak.detectors.spec import BUILTIN, CommandSpec, DeclarationError, parse_declaration, parse_declarations


def test_a_declaration_with_args():
    spec = parse_declaration("rows = github.com/jingyugao/rowserrcheck@v1.1.1 -packages='database/sql x'")
    assert spec == CommandSpec("rows", "github.com/jingyugao/rowserrcheck", "v1.1.1", ("-packages=database/sql x",))
    assert spec.module_at_version == "github.com/jingyugao/rowserrcheck@v1.1.1"
    assert spec.binary == "rowserrcheck"


def test_binary_name_skips_a_major_version_suffix():
    assert CommandSpec("x", "example.com/tool/v2", "v2.0.0").binary == "tool"
    assert CommandSpec("x", "github.com/kkHAIKE/contextcheck/cmd/contextcheck", "v1.1.6").binary == "contextcheck"


@pytest.mark.parametrize(("line", "why"), [
    ("bodyclose github.com/timakin/bodyclose@v1.0.0", "expected `name = package@version"),
    ("= github.com/timakin/bodyclose@v1.0.0", "expected `name = package@version"),
    ("9lives = github.com/a/b@v1.0.0", "bad detector name"),
    ("x =", "no package@version"),
    ("x = github.com/timakin/bodyclose", "has no @version"),
    ("x = github.com/timakin/bodyclose@latest", "`latest` is not allowed"),
    ("x = bodyclose@v1.0.0", "is not a Go package path"),
    ("x = github.com/a/b@v1.0.0 'unclosed", "No closing quotation"),
])
def test_bad_declarations_say_what_is_wrong(line, why):
    with pytest.raises(DeclarationError, match=why.replace("(", r"\(").replace("`", "`")):
        parse_declaration(line)


def test_blank_and_comment_lines_are_skipped_and_duplicates_rejected():
    assert [s.name for s in parse_declarations(["", "# note", "a = github.com/a/b@v1.0.0"])] == ["a"]
    with pytest.raises(DeclarationError, match="declared twice"):
        parse_declarations(["a = github.com/a/b@v1.0.0", "a = github.com/a/c@v1.0.0"])


def test_builtins_are_pinned_and_a_declaration_replaces_one(tmp_path):
    assert {s.name for s in BUILTIN} >= {"bodyclose", "sqlclosecheck"}
    assert all(parse_declaration(f"{s.name} = {s.module_at_version}") == s for s in BUILTIN)
    dets = detectors_for(["bodyclose = github.com/timakin/bodyclose@v0.0.0-20240101000000-abcdefabcdef"], tmp_path)
    names = [d.name for d in dets]  # type: ignore[attr-defined]
    assert "vet" not in names and names.count("bodyclose") == 1  # vet runs in the runner, not here
    assert detectors_for([], tmp_path, builtin=False) == []

"""Service-supplied text cannot start a workflow command, rewrite the terminal or break Markdown."""

from __future__ import annotations

import math

from pytest_goleak.report.results import finite
from pytest_goleak.textsafe import clip, code_span, markdown, quote, terminal


def test_no_line_can_start_a_workflow_command() -> None:
    text = "ok\n::error file=a,line=1::x\n  ::stop-commands::tok\n##[error]old\nfine :: here"
    out = terminal(text)
    assert [ln for ln in out.splitlines() if ln.lstrip().startswith(("::", "##["))] == []
    assert "> ::error file=a,line=1::x" in out and "fine :: here" in out


def test_control_characters_are_shown_not_obeyed() -> None:
    assert terminal("a\x1b[2Jb\rc\td") == "a\\x1b[2Jb\\x0dc\td"


def test_quote_is_one_bounded_line() -> None:
    q = quote("http://x/\n::error::y" + "z" * 500, 50)
    assert "\n" not in q and "cut" in q and len(q) < 120


def test_markdown_cell_and_code_span_hold_any_text() -> None:
    assert markdown("a|b`c<img>[x](y)") == "a\\|b\\`c\\<img\\>\\[x\\](y)"
    assert markdown("goroutine_chan_leaky") == "goroutine_chan_leaky"
    assert code_span("main.f`x") == "``main.f`x``"
    assert code_span("`edge") == "`` `edge ``"
    assert code_span("a|b") == "`a\\|b`"


def test_clip_says_it_cut() -> None:
    assert clip("x" * 10, 5) == "xxxxx… (10 characters, cut)" and clip("short") == "short"


def test_no_nan_or_infinity_reaches_results() -> None:
    doc = {"a": math.nan, "b": [1.0, math.inf, {"c": -math.inf}], "d": (2, "x")}
    assert finite(doc) == {"a": None, "b": [1.0, None, {"c": None}], "d": [2, "x"]}

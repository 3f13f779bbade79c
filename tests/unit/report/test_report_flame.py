"""The heap-growth icicle graph, from root-first stacks."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from pytest_goleak.report import flame

SVG = "{http://www.w3.org/2000/svg}"
STACKS = [
    {"stack": ["main.main", "main.handle", "main.lookup"], "delta_space": 3_000_000},
    {"stack": ["main.main", "main.handle", "runtime.malg"], "delta_space": 1_000_000},
    {"stack": ["main.main", "bufio.NewReaderSize"], "delta_space": -8192},
]


def test_tree_merges_common_prefixes_and_ignores_shrinkage() -> None:
    root, stats = flame.build_tree(STACKS)
    assert root.value == 4_000_000
    handle = root.children["main.main"].children["main.handle"]
    assert handle.value == 4_000_000
    assert {k: v.value for k, v in handle.children.items()} == {"main.lookup": 3e6, "runtime.malg": 1e6}
    assert stats == flame.FlameStats(grown_bytes=4e6, shrunk_bytes=8192, stacks=2)
    assert "bufio.NewReaderSize" not in root.children["main.main"].children


def test_widths_are_proportional_to_bytes_gained() -> None:
    root = ET.fromstring(str(flame.flame_svg(STACKS, width=1000)))
    frames = {g.find(f"{SVG}title").text.split("\n")[0]: g.find(f"{SVG}rect") for g in root.iter(f"{SVG}g")}
    width = {name: float(rect.get("width")) + 0.5 for name, rect in frames.items()}
    assert width["main.lookup"] == pytest.approx(750, abs=1)
    assert width["runtime.malg"] == pytest.approx(250, abs=1)
    assert float(frames["runtime.malg"].get("x")) == pytest.approx(750, abs=1)


def test_hover_title_shows_function_and_bytes() -> None:
    root = ET.fromstring(str(flame.flame_svg(STACKS)))
    titles = [t.text for t in root.iter(f"{SVG}title")]
    assert "main.lookup\n+2.9 MiB (75.0% of growth)" in titles


def test_labels_are_truncated_to_the_frame() -> None:
    label = flame._label("main.aVeryLongFunctionNameIndeed", 60)
    assert len(label) * flame.CHAR_PX <= 60 and label.endswith("\u2026")
    assert flame._label("net/http.(*conn).serve", 400) == "http.(*conn).serve"
    assert flame._label("x", 5) == ""


@pytest.mark.parametrize(
    "bad",
    [
        None,
        [],
        "stacks",
        [{"stack": "main", "delta_space": 5}],
        [{"stack": ["a"], "delta_space": "5"}],
        [{"stack": ["a"], "delta_space": float("inf")}],
        [{"stack": ["a"], "delta_space": -5}],
    ],
)
def test_no_growth_renders_a_note(bad: object) -> None:
    assert "No heap growth" in str(flame.flame_svg(bad))

"""The heap diff icicle graph, from root-first stacks: widths, red/blue colours, hover text."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from pytest_goleak.judge.culprit import HeapDiffStack
from pytest_goleak.report import flame

SVG = "{http://www.w3.org/2000/svg}"
STACKS = [
    HeapDiffStack(("main.main", "main.handle", "main.lookup"), 3_000_000),
    HeapDiffStack(("main.main", "main.handle", "runtime.malg"), 1_000_000),
    HeapDiffStack(("main.main", "bufio.NewReaderSize"), -1_000_000),
]


def frames(stacks: object, width: int = 1000) -> dict[str, ET.Element]:
    root = ET.fromstring(str(flame.flame_svg(stacks, width=width)))
    return {g.find(f"{SVG}title").text.split("\n")[0]: g for g in root.iter(f"{SVG}g")}


def hsl(fill: str) -> tuple[int, int, int]:
    m = re.fullmatch(r"hsl\((\d+),(\d+)%,(\d+)%\)", fill)
    assert m, fill
    return int(m[1]), int(m[2]), int(m[3])


def test_tree_counts_growth_and_shrinkage() -> None:
    root, stats = flame.build_tree(STACKS)
    assert (root.grown, root.shrunk, root.value) == (4e6, 1e6, 5e6)
    main = root.children["main.main"]
    assert main.net == 3e6
    assert main.children["bufio.NewReaderSize"].shrunk == 1e6
    assert stats == flame.FlameStats(grown_bytes=4e6, shrunk_bytes=1e6, stacks=3)


def test_widths_are_proportional_to_bytes_changed() -> None:
    f = frames(STACKS)
    width = {name: float(g.find(f"{SVG}rect").get("width")) + 0.5 for name, g in f.items()}
    assert width["main.lookup"] == pytest.approx(600, abs=1)
    assert width["runtime.malg"] == pytest.approx(200, abs=1)
    assert width["bufio.NewReaderSize"] == pytest.approx(200, abs=1)  # shrinkage is drawn too


def test_a_frame_that_shrank_is_blue_and_one_that_grew_is_red() -> None:
    f = frames(STACKS)
    shrank = hsl(f["bufio.NewReaderSize"].find(f"{SVG}rect").get("fill"))
    grew = hsl(f["main.lookup"].find(f"{SVG}rect").get("fill"))
    assert 200 <= shrank[0] <= 240 and "shrank" in f["bufio.NewReaderSize"].get("class")
    assert (grew[0] <= 15 or grew[0] >= 345) and "grew" in f["main.lookup"].get("class")


def test_intensity_follows_the_size_of_the_change() -> None:
    big, small = hsl(flame.color(3e6, 5e6)), hsl(flame.color(5e4, 5e6))
    assert big[2] < small[2]  # darker for more change
    assert flame.color(0, 5e6) == flame.NEUTRAL == flame.color(-0.0, 5e6)


def test_a_frame_with_no_net_change_is_neutral() -> None:
    stacks = [HeapDiffStack(("main.main", "main.a"), 500), HeapDiffStack(("main.main", "main.b"), -500)]
    f = frames(stacks)
    assert f["main.main"].find(f"{SVG}rect").get("fill") == flame.NEUTRAL
    assert "unchanged" in f["main.main"].get("class")


def test_hover_title_shows_function_and_bytes() -> None:
    f = frames(STACKS)
    assert f["main.lookup"].find(f"{SVG}title").text == (
        "main.lookup\n+2.9 MiB net: +2.9 MiB grown, \u22120 B shrunk (60.0% of all change)")


def test_narrow_frames_are_summed_into_the_parents_hover_text() -> None:
    stacks = [*STACKS, HeapDiffStack(("main.main", "main.handle", "strconv.Itoa"), 96),
              HeapDiffStack(("main.main", "main.handle", "fmt.Sprintf"), -64)]
    f = frames(stacks)
    assert "strconv.Itoa" not in f and "fmt.Sprintf" not in f
    tip = f["main.handle"].find(f"{SVG}title").text
    assert tip.endswith("2 narrower frames not drawn: +96 B grown, \u221264 B shrunk")


def test_labels_are_truncated_to_the_frame() -> None:
    label = flame._label("main.aVeryLongFunctionNameIndeed", 60)
    assert len(label) * flame.CHAR_PX <= 60 and label.endswith("\u2026")
    assert flame._label("net/http.(*conn).serve", 400) == "http.(*conn).serve"
    assert flame._label("x", 5) == ""


@pytest.mark.parametrize(
    "bad",
    [
        [],
        [HeapDiffStack(("a",), float("inf"))],
        [HeapDiffStack(("a",), float("nan"))],
        [HeapDiffStack(("a",), 0.0)],
    ],
)
def test_no_change_renders_a_note(bad: list[HeapDiffStack]) -> None:
    assert "No heap growth or shrinkage" in str(flame.flame_svg(bad))


def test_root_label_names_both_directions() -> None:
    root = ET.fromstring(str(flame.flame_svg(STACKS, width=1000)))
    labels = [t.text for t in root.iter(f"{SVG}text")]
    assert labels[0] == "all change: +3.8 MiB, \u2212976.6 KiB"

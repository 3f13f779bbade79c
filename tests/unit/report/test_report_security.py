"""Untrusted strings (function names, paths, logs, messages) must never become markup or links."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
import sample_results as sample

from pytest_goleak.report import html
from pytest_goleak.report.results import report_of


@pytest.fixture
def hostile_pages(tmp_path: Path) -> dict[Path, str]:
    report = tmp_path / "report"
    paths = html.write_html(report, report_of(sample.hostile()))
    return {p: p.read_text(encoding="utf-8") for p in paths}


def test_payloads_never_appear_unescaped(hostile_pages: dict[Path, str]) -> None:
    assert len(hostile_pages) == 7  # index, detectors and one page per scenario
    for path, text in hostile_pages.items():
        for payload in sample.PAYLOADS:
            assert payload not in text, path
        assert "<img" not in text and "<script" not in text, path
        tags = _Tags()
        tags.feed(text)
        assert not tags.names & {"script", "img", "iframe", "object", "embed", "base", "form"}, path
        assert not [a for a in tags.attrs if a.startswith("on")], path  # no event handler on any real tag


class _Tags(HTMLParser):
    """What a browser's tokenizer would see: real tags and attribute names, not escaped text."""

    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()
        self.attrs: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.names.add(tag)
        self.attrs.update(name for name, _ in attrs)


def test_payloads_are_still_shown_as_text(hostile_pages: dict[Path, str]) -> None:
    everything = "".join(hostile_pages.values())
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in everything
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in everything


def test_svg_text_and_titles_hold_the_payload_as_text(hostile_pages: dict[Path, str]) -> None:
    seen: set[str] = set()
    for text in hostile_pages.values():
        for fragment in re.findall(r"<svg.*?</svg>", text, re.S):
            root = ET.fromstring(fragment)  # escaping kept every fragment well-formed XML
            for el in root.iter():
                if el.tag.endswith(("}title", "}text")) and el.text:
                    seen.update(p for p in sample.PAYLOADS if p in el.text)
            for el in root.iter():
                assert not any(k.startswith("on") for k in el.attrib), el.attrib
    assert seen == set(sample.PAYLOADS)


def test_links_only_point_inside_the_report(hostile_pages: dict[Path, str]) -> None:
    for text in hostile_pages.values():
        for href in re.findall(r'href="([^"]*)"', text):
            assert not re.match(r"[a-z]+:", href, re.I), href
            assert "/../" not in href.replace("../index.html", "") or href.startswith("../"), href
            target = href[3:] if href.startswith("../") else href
            assert ".." not in target.split("/"), href


def test_scenario_names_cannot_escape_the_report_dir(tmp_path: Path) -> None:
    report = tmp_path / "report"
    names = [
        "../x",
        "..",
        ".",
        "/etc/cron.d/x",
        "a/../../b",
        "",
        "..\\..\\y",
        "ok",
        "OK",
        "index.html",
        "results.json",
    ]
    paths = html.write_html(report, report_of({"scenarios": [{"name": n, "verdict": "clean"} for n in names]}))
    assert all(p.resolve().is_relative_to(report.resolve()) for p in paths)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report"]
    dirs = sorted(p.parent.name for p in paths if p.parent != report)
    assert len(dirs) == len(set(d.lower() for d in dirs)) == len(names)
    assert "ok" in dirs and "OK-2" in dirs


def test_a_symlinked_scenario_dir_is_refused(tmp_path: Path) -> None:
    report, outside = tmp_path / "report", tmp_path / "outside"
    report.mkdir()
    outside.mkdir()
    (report / "evil").symlink_to(outside)
    with pytest.raises(ValueError, match="outside the report directory"):
        html.write_html(report, report_of({"scenarios": [{"name": "evil"}]}))
    assert list(outside.iterdir()) == []


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("a/heap-0.pb.gz", "../a/heap-0.pb.gz"),
        ("a/x y#?.txt", "../a/x%20y%23%3F.txt"),
        ("javascript:alert(1)", None),
        ("JaVaScRiPt:x", None),
        ("/etc/passwd", None),
        ("../up", None),
        ("a/../../up", None),
        ("a//b", None),
        ("a\\b", None),
        ("", None),
        (None, None),
        (3, None),
        ('a/"><img src=x>', "../a/%22%3E%3Cimg%20src%3Dx%3E"),
    ],
)
def test_safe_href(path: object, expected: str | None) -> None:
    assert html.safe_href(path, "../") == expected

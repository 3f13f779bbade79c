import pytest

from pytest_goleak import units
from pytest_goleak.units import format_bytes, parse_duration, parse_size


@pytest.mark.parametrize(("text", "value"), [
    (1024, 1024.0), ("64KiB", 65536.0), ("1.5MB", 1_500_000.0), ("2 GiB", 2 * 1024**3), ("10", 10.0), ("1e3", 1000.0),
])
def test_parse_size(text, value):
    assert parse_size(text) == value


@pytest.mark.parametrize("bad", ["lots", "-1KiB", -5, True, "1.5XB", None])
def test_parse_size_rejects(bad):
    with pytest.raises(ValueError, match="size"):
        parse_size(bad)


def test_parse_duration():
    assert parse_duration("500ms") == 0.5
    assert parse_duration("2s") == 2.0
    assert parse_duration("1m") == 60.0
    with pytest.raises(ValueError):
        parse_duration("soon")


def test_format_bytes():
    assert format_bytes(512) == "512B"
    assert format_bytes(1536) == "1.5KiB"
    assert format_bytes(-3 * 1024 * 1024) == "-3.0MiB"


def test_one_formatter_for_figures():
    assert units.figure(1032.25, "count") == "1032.2" and units.figure(None, "bytes", "n/a") == "n/a"
    assert units.figure_grouped(1032.25, "count") == "1,032.2" and units.figure_grouped(1536, "bytes") == "1.5KiB"
    assert units.percent_change(0.2) == "+20%" and units.percent_change(-1.0) == "-100%"
    assert units.percent(3, 4) == "75%" and units.percent(0, 0) == "\u2014"
    assert units.rate(0.5) == "50%" and units.rate(None) == "\u2014" and units.rate(True) == "\u2014"
    assert units.kilo(4200) == "4.2k" and units.kilo(420) == "420"
    assert units.fmt_count(1234) == "1,234" and units.fmt_bytes(2048) == "2.0 KiB"
    assert units.fmt_seconds(150) == "2.5 min"

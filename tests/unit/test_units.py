import pytest

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

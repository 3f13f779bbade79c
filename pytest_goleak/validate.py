"""One validator per kind of setting, used by every entry point: scenario files, pytest options
and ini keys, ``goleak run`` and the Python API.

Each check raises :class:`InvalidSetting` (a ``ValueError``; :class:`WrongType` is also a
``TypeError``) whose text names the setting as the caller spelled it (``--goleak-snapshots``,
``'budgets.max_rss'``, ``snapshots=``). The entry point turns it into its own kind of error:
``pytest.UsageError``, a file:line ``ScenarioError``, a ``goleak run:`` line; the Python API
lets it through.
"""

from __future__ import annotations

import difflib
import json
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from . import signals
from .units import parse_duration, parse_size

#: A one-sided Mann-Kendall test on 3 points cannot reach p < 0.05 (best case 0.15): a perfect
#: leak would read as flat and the gate would be off. 4 points can (0.045).
MIN_SNAPSHOTS = 4
RUNTIMES = ("docker", "local")


class InvalidSetting(ValueError):
    """A setting's value breaks a rule; ``key`` is the setting as the caller spelled it."""

    def __init__(self, key: str, message: str) -> None:
        self.key = key
        super().__init__(message)


class WrongType(InvalidSetting, TypeError):
    """A setting's value has the wrong type (a boolean where a number belongs, say)."""


def whole(value: object, key: str, minimum: int = 1) -> int:
    """A whole number of at least ``minimum``, from an int or a string of digits."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise WrongType(key, f"{key} must be a whole number, got {value!r}")
    if isinstance(value, str):
        text = value.strip()
        if not text.lstrip("-").isdigit():
            raise InvalidSetting(key, f"{key} must be a whole number, got {value!r}")
        value = int(text)
    if value < minimum:
        raise InvalidSetting(key, f"{key} must be at least {minimum}, got {value}")
    return value


def snapshot_count(value: object, key: str = "snapshots") -> int:
    """Snapshots per scenario: at least MIN_SNAPSHOTS, or the trend test could never fire."""
    try:
        return whole(value, key, MIN_SNAPSHOTS)
    except WrongType:
        raise
    except InvalidSetting as exc:
        raise InvalidSetting(key, f"{exc} (with fewer than {MIN_SNAPSHOTS} points the trend test can never "
                                  "call a series growing, so every leak would pass)") from None


def size(value: object, key: str, minimum: float = 0.0) -> float:
    """Bytes from ``1024`` or ``"64KiB"``: never negative, never a boolean, at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise WrongType(key, f"{key} must be a size such as 64KiB, got {value!r}")
    try:
        n = parse_size(value)
    except ValueError as exc:
        raise InvalidSetting(key, f"{key}: {exc}") from None
    if not math.isfinite(n) or n < minimum:
        raise InvalidSetting(key, f"{key} must be a size of at least {minimum:.0f} bytes, got {value!r}")
    return n


def number(value: object, key: str) -> float:
    """A finite, non-negative number, from an int, a float or a numeric string."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise WrongType(key, f"{key} must be a non-negative number, got {value!r}")
    try:
        n = float(value)
    except ValueError:
        raise InvalidSetting(key, f"{key} must be a non-negative number, got {value!r}") from None
    if not math.isfinite(n) or n < 0:
        raise InvalidSetting(key, f"{key} must be a non-negative number, got {value!r}")
    return n


def extension_factor(value: object, key: str = "extension.factor") -> float:
    """How far the load may go on past a budget, as a multiple of the requests; 1 turns it off."""
    n = number(value, key)
    if n < 1:
        raise InvalidSetting(key, f"{key} must be at least 1 (1 turns the extension off), got {value!r}")
    return n


def duration(value: object, key: str) -> float:
    """Seconds above zero, from ``90``, ``"500ms"``, ``"2m"``."""
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise WrongType(key, f"{key} must be a duration such as 90s, got {value!r}")
    try:
        n = parse_duration(value)
    except ValueError as exc:
        raise InvalidSetting(key, f"{key}: {exc}") from None
    if not math.isfinite(n) or n <= 0:
        raise InvalidSetting(key, f"{key} must be more than zero, got {value!r}")
    return n


def budget_name(name: object, key: str = "budget") -> str:
    """A known budget name; an unknown one is answered with the nearest known names."""
    if not isinstance(name, str):
        raise WrongType(key, f"a budget name must be a string, got {name!r}")
    known = signals.budgets()
    if name in known:
        return name
    near = difflib.get_close_matches(name, known, n=2, cutoff=0.6)
    hint = f"did you mean {' or '.join(near)}? " if near else ""
    where = "" if key == "budget" else f"{key}: "
    raise InvalidSetting(key, f"{where}unknown budget {name!r}: {hint}known budgets: {', '.join(known)}")


def budget(name: object, value: object, key: str | None = None) -> tuple[str, float]:
    """One budget: a known name and its value (a size for byte budgets, else a number)."""
    known = budget_name(name, key or "budget")
    where = key or known
    return known, size(value, where) if signals.budgets()[known].is_bytes else number(value, where)


def budget_assignment(text: str, key: str = "budget") -> tuple[str, float]:
    """``NAME=VALUE`` as written on a command line or an ini line."""
    name, sep, value = text.partition("=")
    if not sep:
        raise InvalidSetting(key, f"{key} {text!r}: expected NAME=VALUE, e.g. goroutines_per_1k_requests=2")
    return budget(name.strip(), value.strip(), f"{key} {name.strip()}")


def budgets(values: Mapping[str, object], key: str = "budgets") -> dict[str, float]:
    """A mapping of budget names to values, as in a scenario file or ``goleak.run(budgets=...)``."""
    if not isinstance(values, Mapping):
        raise WrongType(key, f"{key} must be a mapping of budget names to values, got {values!r}")
    return dict(budget(name, value, f"{key}.{name}" if isinstance(name, str) else key)
                for name, value in values.items())


@dataclass(frozen=True)
class RunSettings:
    """The checked, run-wide overrides every entry point produces."""

    runtime: str
    snapshots: int | None
    requests: int | None
    memprofilerate: int
    budgets: dict[str, float]
    extension_factor: float | None = None  # None: the default
    extension_timeout: float | None = None


def settings(*, runtime: object, snapshots: object, requests: object, memprofilerate: object,
             budgets: Iterable[tuple[str, str]], spelled: Mapping[str, str],
             extension_factor: object = None, extension_timeout: object = None) -> RunSettings:
    """The settings validator for pytest options/ini keys and ``goleak run``: every rule, one place.

    ``budgets`` are ``(where, "NAME=VALUE")`` pairs, later ones winning (``where`` is the option
    or ini key that gave it); ``spelled`` names each other field as the user wrote it
    (``{"snapshots": "--goleak-snapshots", ...}``) for the messages.
    """
    def name(field: str) -> str:
        return spelled.get(field, field)

    if runtime not in RUNTIMES:
        raise InvalidSetting(name("runtime"), f"{name('runtime')} must be docker or local, got {runtime!r}")
    out: dict[str, float] = {}
    for where, text in budgets:
        out.update([budget_assignment(text, where)])
    return RunSettings(
        runtime=str(runtime),
        snapshots=None if snapshots is None else snapshot_count(snapshots, name("snapshots")),
        requests=None if requests is None else whole(requests, name("requests")),
        memprofilerate=whole(memprofilerate, name("memprofilerate")),
        budgets=out,
        extension_factor=None if extension_factor is None else extension_factor_(extension_factor,
                                                                                 name("extension_factor")),
        extension_timeout=None if extension_timeout is None else duration(extension_timeout,
                                                                          name("extension_timeout")),
    )


#: The request template grammar of loadgen/template.go: "{{" and "}}" are literal braces, and only
#: "{" + identifier (+ ":args") + "}" is a variable; any other brace is literal.
_TEMPLATE_TOKEN = re.compile(r"\{\{|\}\}|\{([A-Za-z_][A-Za-z0-9_]*)(?::([^{}]*))?\}")
_RAND_RANGE = re.compile(r"^(\d+)-(\d+)$")
BUILTIN_VARIABLES = ("seq", "uuid", "rand")


def template(text: str, known: Iterable[str], key: str) -> str:
    """A request template whose variables are all known: the built-ins or ``known`` (captured)."""
    names = set(known)
    for m in _TEMPLATE_TOKEN.finditer(text):
        name, args = m.group(1), m.group(2)
        if name is None:
            continue
        if name == "rand":
            r = _RAND_RANGE.match(args or "")
            if not r or int(r.group(1)) > int(r.group(2)) or int(r.group(2)) >= 2**63:
                raise InvalidSetting(key, f"{key}: {m.group(0)}: want {{rand:LO-HI}} with whole numbers "
                                          "0 <= LO <= HI")
        elif args is not None:
            raise InvalidSetting(key, f"{key}: {m.group(0)}: only {{rand:LO-HI}} takes arguments")
        elif name not in names and name not in BUILTIN_VARIABLES:
            capt = f"captured by setup: {', '.join(sorted(names))}" if names else "no setup step captures any"
            raise InvalidSetting(key, f"{key}: unknown variable {{{name}}} (built in: {{seq}}, {{uuid}}, "
                                      f"{{rand:LO-HI}}; {capt}; write {{{{ and }}}} for literal braces)")
    return text


def json_braces(body: str, key: str) -> str:
    """A body that is JSON as written but not once "}}" became "}" (a nested object's end): the
    user meant the braces; say how to write them instead of letting every request be a 400."""
    try:
        json.loads(body)
    except ValueError:
        return body
    sent = _TEMPLATE_TOKEN.sub(lambda m: m.group(0)[0] if m.group(1) is None else "0", body)
    try:
        json.loads(sent)
    except ValueError:
        raise InvalidSetting(key, f"{key}: in a request template '{{{{' and '}}}}' are literal single braces, so "
                                  "this JSON body would be sent with braces missing; write '}}}}' for '}}' "
                                  "(and '{{{{' for '{{')") from None
    return body


def template_variables(text: str) -> set[str]:
    """The names of the variables a template uses."""
    return {m.group(1) for m in _TEMPLATE_TOKEN.finditer(text) if m.group(1)}


def expand_captured(text: str, values: Mapping[str, str]) -> str:
    """A setup step's template with the variables earlier steps captured (the load's own are
    expanded per request by the Go driver; scenario/parse.py keeps them out of setup steps)."""
    def one(m: re.Match[str]) -> str:
        return m.group(0)[0] if m.group(1) is None else values.get(m.group(1), m.group(0))

    return _TEMPLATE_TOKEN.sub(one, text)


extension_factor_ = extension_factor  # the parameter of settings() shadows the function


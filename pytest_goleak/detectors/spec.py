"""Declarations of static detector commands: ``name = package@version [args]``, parsed and checked.

Users declare them in ini (``goleak_detectors``, one per line)::

    [pytest]
    goleak_detectors =
        bodyclose = github.com/timakin/bodyclose@v0.0.0-20260723120731-857993a2939c
        rowserr = github.com/jingyugao/rowserrcheck@v1.1.1 -packages=database/sql

``package`` is what ``go install`` builds (a go/analysis single-checker main package, or a
golangci-lint-style linter with its own command); ``args`` go before the package pattern.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable
from dataclasses import dataclass

_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
# an import path whose first element is a host name, as `go install pkg@version` needs
_PACKAGE = re.compile(r"^[a-z0-9][a-z0-9.-]*\.[a-z]{2,}(/[A-Za-z0-9_.~+-]+)+$")
_VERSION = re.compile(r"^v\d+\.\d+\.\d+([-+][0-9A-Za-z.+-]+)?$")


class DeclarationError(ValueError):
    """A detector declaration is malformed; the text names the line and what is wrong."""


@dataclass(frozen=True)
class CommandSpec:
    name: str
    package: str  # what `go install` builds, e.g. github.com/timakin/bodyclose
    version: str  # a semantic or pseudo-version: never "latest", so the cache key means something
    args: tuple[str, ...] = ()

    @property
    def module_at_version(self) -> str:
        return f"{self.package}@{self.version}"

    @property
    def binary(self) -> str:
        """The file name `go install` gives the command (a /vN major suffix is not the name)."""
        parts = self.package.split("/")
        if len(parts) > 2 and re.fullmatch(r"v\d+", parts[-1]):
            return parts[-2]
        return parts[-1]


#: The built-in static detectors beyond vet, each installed on demand from the Go module proxy.
#: What each did on the shipped fixtures (Go 1.26.8):
#: - bodyclose: "response body must be closed" at http_body/leaky main.go:24 (main.fetchStatus);
#:   silent on the fixed twin and on every other fixture.
#: - sqlclosecheck: silent everywhere; it checks sql.Rows / sql.Stmt, not sql_pool's *sql.DB.
#: - contextcheck: "Non-inherited new context" in main.handleWork of *both* context_cancel twins
#:   (the fix adds `defer cancel()`, not an inherited context): a false alarm on the fixed twin.
#: (rowserrcheck v1.1.1 fails on Go 1.26: "package fmt without types", an old x/tools.)
BUILTIN: tuple[CommandSpec, ...] = (
    CommandSpec("bodyclose", "github.com/timakin/bodyclose", "v0.0.0-20260723120731-857993a2939c"),
    CommandSpec("sqlclosecheck", "github.com/ryanrolds/sqlclosecheck", "v0.6.0"),
    CommandSpec("contextcheck", "github.com/kkHAIKE/contextcheck/cmd/contextcheck", "v1.1.6"),
)


def parse_declaration(line: str) -> CommandSpec:
    """One ``name = package@version [args]`` line -> CommandSpec; DeclarationError says what is wrong."""
    name, sep, rest = line.partition("=")
    name = name.strip()
    if not sep or not name:
        raise DeclarationError(f"{line!r}: expected `name = package@version [args]`")
    if not _NAME.match(name):
        raise DeclarationError(f"{line!r}: bad detector name {name!r} (letters, digits, _ . -; a letter first)")
    try:
        words = shlex.split(rest)
    except ValueError as exc:
        raise DeclarationError(f"{line!r}: {exc}") from None
    if not words:
        raise DeclarationError(f"{line!r}: no package@version after `=`")
    package, at, version = words[0].rpartition("@")
    if not at:
        raise DeclarationError(f"{line!r}: {words[0]!r} has no @version (pin one, e.g. @v1.2.3)")
    if not _PACKAGE.match(package):
        raise DeclarationError(f"{line!r}: {package!r} is not a Go package path such as github.com/owner/tool")
    if not _VERSION.match(version):
        raise DeclarationError(f"{line!r}: version {version!r} is not a semantic or pseudo-version "
                               "(such as v1.2.3; `latest` is not allowed, so that the cache key means something)")
    return CommandSpec(name, package, version, tuple(words[1:]))


def parse_declarations(lines: Iterable[str]) -> list[CommandSpec]:
    """All non-blank, non-comment lines; a name declared twice is an error."""
    specs: list[CommandSpec] = []
    for line in lines:
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        spec = parse_declaration(text)
        if any(s.name == spec.name for s in specs):
            raise DeclarationError(f"{text!r}: detector {spec.name!r} is declared twice")
        specs.append(spec)
    return specs

"""The host Go toolchain: find it, ask its version, compile a main package statically."""

from __future__ import annotations

import functools
import hashlib
import os
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path

from .procutil import run_bounded

BUILD_TIMEOUT_S = 600.0
# Files that change what `go build` produces. Anything else (docs, data) does not invalidate.
_SOURCE_SUFFIXES = (".go", ".s", ".c", ".h", ".syso")
_SOURCE_NAMES = ("go.mod", "go.sum", "go.work", "go.work.sum")
_TOO_OLD_RE = re.compile(r"go\.mod requires go >= (\S+) \(running go (\S+); GOTOOLCHAIN=([^)\s]+)\)")


class GoError(Exception):
    """The Go toolchain is missing, or a build failed; the text carries the compiler output."""


def go_binary() -> str:
    found = shutil.which("go") or ("/usr/local/go/bin/go" if Path("/usr/local/go/bin/go").exists() else None)
    if not found:
        raise GoError("no Go toolchain found: install Go >= 1.25 from https://go.dev/dl (see README, "
                      "Prerequisites and set-up) and put `go` on PATH")
    return found


@functools.lru_cache(maxsize=4)
def go_version(go: str | None = None) -> str:
    """``go1.26.8``-style version string of the toolchain."""
    go = go or go_binary()
    out = subprocess.run([go, "env", "GOVERSION"], capture_output=True, text=True, timeout=60, check=False)
    if out.returncode != 0 or not out.stdout.strip():
        raise GoError(f"`{go} env GOVERSION` failed: {out.stderr.strip()}")
    return out.stdout.strip()


def version_tuple(version: str) -> tuple[int, int]:
    parts = version.removeprefix("go").split(".")
    try:
        return int(parts[0]), int(parts[1].split("rc")[0].split("beta")[0])
    except (IndexError, ValueError):
        return (0, 0)


@functools.lru_cache(maxsize=4)
def go_dirs(go: str | None = None) -> tuple[Path, ...]:
    """GOROOT and GOMODCACHE of the toolchain (what a culprit's source may be read from), or ()."""
    try:
        go = go or go_binary()
        out = subprocess.run([go, "env", "GOROOT", "GOMODCACHE"], capture_output=True, text=True, timeout=60,
                             check=False)
    except (GoError, OSError, subprocess.SubprocessError):
        return ()
    return tuple(Path(line) for line in out.stdout.splitlines() if line.startswith("/")) if out.returncode == 0 else ()


def module_root(package_dir: Path) -> Path:
    """The directory holding the go.mod that governs ``package_dir``."""
    for d in (package_dir, *package_dir.parents):
        if (d / "go.mod").is_file():
            return d
    raise GoError(f"{package_dir} is not inside a Go module (no go.mod found above it)")


def module_path(package_dir: Path) -> str | None:
    """The ``module`` line of the go.mod governing ``package_dir``, or None."""
    try:
        text = (module_root(package_dir) / "go.mod").read_text()
    except (GoError, OSError):
        return None
    for line in text.splitlines():
        parts = line.split("//")[0].split()
        if len(parts) == 2 and parts[0] == "module":
            return parts[1].strip('"')
    return None


def source_hash(root: Path, extra: Iterable[str] = ()) -> str:
    """sha256 over every build-relevant file below ``root`` (paths and contents) plus ``extra``."""
    h = hashlib.sha256()
    for item in extra:
        h.update(item.encode() + b"\0")
    files: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "_")) and d != "testdata")
        for name in filenames:
            if name.endswith(_SOURCE_SUFFIXES) or name in _SOURCE_NAMES:
                files.append(Path(dirpath, name))
    for path in sorted(files):
        h.update(str(path.relative_to(root)).encode() + b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()


def build_static(package_dir: Path, output: Path, env: Mapping[str, str] | None = None,
                 timeout: float = BUILD_TIMEOUT_S) -> None:
    """``CGO_ENABLED=0 go build -o output .`` in ``package_dir``; GoError with the compiler output."""
    go = go_binary()
    output.parent.mkdir(parents=True, exist_ok=True)
    tmp = output.with_name(output.name + f".tmp{os.getpid()}")
    build_env = {**os.environ, "CGO_ENABLED": "0", "GOOS": "linux", "GOFLAGS": os.environ.get("GOFLAGS", ""),
                 **(env or {})}
    # In a session of its own, killed as a group at the deadline: the compiler and linker too.
    proc = run_bounded([go, "build", "-o", str(tmp), "."], package_dir, timeout, build_env)
    if proc.returncode is None:
        tmp.unlink(missing_ok=True)
        raise GoError(f"go build in {package_dir} timed out after {timeout:.0f}s")
    if proc.returncode != 0:
        tmp.unlink(missing_ok=True)
        output_text = proc.output.strip()
        too_old = _TOO_OLD_RE.search(output_text)
        if too_old:  # one line that says what to do, not the go command's own
            need, have, toolchain = too_old.groups()
            raise GoError(f"{module_root(package_dir) / 'go.mod'} needs Go >= {need}, and this is Go {have} "
                          f"(GOTOOLCHAIN={toolchain}): install a newer Go from https://go.dev/dl, or let the go "
                          f"command fetch it (GOTOOLCHAIN=go{need} or GOTOOLCHAIN=auto)")
        raise GoError(f"go build failed in {package_dir} (exit {proc.returncode}):\n{output_text}")
    os.replace(tmp, output)  # atomic, so parallel workers never run a half-written binary

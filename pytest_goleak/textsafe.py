"""Service-supplied text (log lines, URLs, function and file names from profiles) made safe to
show: in the terminal and GitHub's log (no line can start a workflow command, no control
characters), in Markdown (the job summary), and quoted in one-line messages."""

from __future__ import annotations

import re

# GitHub reads a workflow command (``::error …``, ``::stop-commands::…``, the older ``##[…]``)
# from any line of a step's output that starts with one after leading whitespace.
_COMMAND = re.compile(r"^([^\S\n]*)(::|##\[)", re.MULTILINE)
# Control characters but tab and newline: ANSI escapes (ESC, CSI) could rewrite what the terminal
# shows, and a carriage return hides the start of a line.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
# What can start a code span, HTML, a link or image, emphasis, or end a table cell. (An
# underscore inside a word, as in most scenario names, is left alone: GFM does not read it.)
_MARKDOWN = re.compile(r"([\\`*<>\[\]|~]|(?<!\w)_|_(?!\w))")
#: What marks a service line that looked like a workflow command.
COMMAND_PREFIX = "> "


def _escape_control(text: str) -> str:
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def terminal(text: str) -> str:
    """``text`` for the terminal and GitHub's log: control characters escaped, and every line that
    GitHub would read as a workflow command prefixed with COMMAND_PREFIX."""
    return _COMMAND.sub(lambda m: COMMAND_PREFIX + m.group(1) + m.group(2), _escape_control(text))


def quote(text: str, limit: int = 200) -> str:
    """One line, at most ``limit`` characters and said so when cut, quoted: for a service's string
    (a redirect's Location, a header) inside the harness's own message."""
    one = _escape_control(text).replace("\n", "\\n")
    if len(one) > limit:
        one = one[:limit] + f"… ({len(text)} characters, cut)"
    return repr(one)


def markdown(text: str) -> str:
    """Plain text in Markdown (a table cell): one line, Markdown's punctuation escaped."""
    return _MARKDOWN.sub(r"\\\1", _escape_control(text).replace("\r", " ").replace("\n", " "))


def code_span(text: str) -> str:
    """A Markdown code span holding ``text`` whatever backticks it has (CommonMark: a longer fence),
    pipes escaped for a table."""
    one = _escape_control(text).replace("\n", " ").replace("|", "\\|")
    fence = "`" * (max((len(run) for run in re.findall(r"`+", one)), default=0) + 1)
    pad = " " if one.startswith("`") or one.endswith("`") else ""
    return f"{fence}{pad}{one}{pad}{fence}"


def clip(line: str, limit: int = 500) -> str:
    """One log line for a message or results.json: at most ``limit`` characters, said so when cut."""
    return line if len(line) <= limit else f"{line[:limit]}… ({len(line)} characters, cut)"

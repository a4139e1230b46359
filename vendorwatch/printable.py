"""Text from outside shown so that it cannot deceive: one visible line, controls and bidi overrides escaped."""

from __future__ import annotations

import re

# Characters that would move the cursor, colour or erase the terminal, forge a line, or reorder what is shown
# (bidirectional overrides, "Trojan Source"): control characters (C0, DEL, C1), line and paragraph separators,
# the bidi embeddings, overrides and isolates, zero-width space and the byte order mark.
_DECEPTIVE = re.compile("[\x00-\x1f\x7f-\x9f\u061c\u200b\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escaped(match: re.Match[str]) -> str:
    char = match.group()
    return _NAMED.get(char) or (f"\\x{ord(char):02x}" if ord(char) < 0x100 else f"\\u{ord(char):04x}")


def printable_lines(value: str) -> str:
    """Like ``printable``, but line breaks (``\\n``) stay: for text whose layout is ours."""
    return "\n".join(printable(line) for line in value.split("\n"))


def printable(value: object) -> str:
    """Text from outside (a log, the registry, a person's ``--reason``) as one visible line: control, line-breaking
    and bidirectional characters are shown as escapes (``\\n``, ``\\x1b``, ``\\u202e``), the rest as it is.
    What is stored is never changed; only what is displayed."""
    if value is None:
        return ""
    return _DECEPTIVE.sub(_escaped, str(value))

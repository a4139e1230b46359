"""Styled CLI output built so that outside text can never become markup, an emoji or a terminal control.

``styled(("OK", "green"), " ", path)`` is a ``rich.text.Text``: the styled parts are ours, every other part is
shown through ``vendorwatch.printable.printable`` (one visible line, controls and bidi overrides escaped).
"""

from __future__ import annotations

from rich.text import Text

from vendorwatch.printable import printable


def styled(*parts: str | tuple[str, str] | Text) -> Text:
    """Plain parts (escaped for display) and ``(our text, style)`` pairs, in order."""
    text = Text()
    for part in parts:
        if isinstance(part, Text):
            text.append_text(part)
        elif isinstance(part, tuple):
            text.append(part[0], style=part[1])
        else:
            text.append(printable(part))
    return text


def cell(value: object, style: str = "") -> Text:
    """A table cell from outside: escaped, never parsed."""
    return Text(printable(value), style=style)


def lines(*values: object) -> Text:
    """Several outside values, one per line (a cell's own line breaks are ours, theirs are escaped)."""
    return Text("\n".join(printable(v) for v in values))

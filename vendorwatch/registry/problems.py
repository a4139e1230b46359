"""A problem found in a registry file: where it is and what is wrong, in both languages."""

from __future__ import annotations

from dataclasses import dataclass

from vendorwatch.i18n import Text


def format_path(parts: tuple[str | int, ...]) -> str:
    """``("vendors", 0, "roster", 1, "until")`` → ``vendors[0].roster[1].until``."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else part
    return out or "(root)"


@dataclass(frozen=True)
class RegistryProblem:
    """One error in the registry: the path inside the file, its line, and a bilingual message."""

    path: tuple[str | int, ...]
    message: Text
    line: int | None = None

    @property
    def dotted(self) -> str:
        """The path as users write it."""
        return format_path(self.path)

    def render(self, file: str) -> str:
        """``file:line: path: 日本語 / English``."""
        where = f"{file}:{self.line}" if self.line else file
        return f"{where}: {self.dotted}: {self.message.both()}"

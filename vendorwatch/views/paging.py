"""One page of a longer list, cut in SQL (LIMIT/OFFSET) with the total counted beside it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


@dataclass(frozen=True)
class Page(Generic[T]):
    """Items of page ``number`` (1-based) of ``size``, out of ``total``."""

    items: tuple[T, ...]
    total: int
    number: int
    size: int

    @property
    def pages(self) -> int:
        """How many pages there are (at least one)."""
        return max(1, -(-self.total // self.size))

    @property
    def first_index(self) -> int:
        """1-based position of the first item shown (0 when empty)."""
        return 0 if not self.items else (self.number - 1) * self.size + 1

    @property
    def last_index(self) -> int:
        """1-based position of the last item shown."""
        return self.first_index + len(self.items) - 1 if self.items else 0


def bounds(number: int, size: int) -> tuple[int, int, int]:
    """(page number, size, offset) clamped to sane values."""
    size = max(1, min(size, MAX_PAGE_SIZE))
    number = max(1, number)
    return number, size, (number - 1) * size

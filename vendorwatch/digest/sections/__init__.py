"""The digest's detail, one module per section: a ``SECTION`` (key, order, title) with one data function, shown by
the template block ``templates/sections/<key>.html.j2``. Sections are discovered; nothing lists them twice.

To add one (e.g. questionnaires overdue): a module here with its ``SECTION`` and a template block of that key.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from vendorwatch.digest.context import DigestContext
from vendorwatch.digest.model import DigestModel, Section
from vendorwatch.i18n import Text


@dataclass(frozen=True)
class SectionSpec:
    """A section: where it goes, its title, and the function computing its data and one-line summary."""

    key: str
    order: int
    title: Text
    build: Callable[[DigestContext], tuple[DigestModel, Text]]

    def section(self, ctx: DigestContext) -> Section:
        """The section's content for a month."""
        data, summary = self.build(ctx)
        return Section(key=self.key, title=self.title, summary=summary, data=data)


@cache
def discover_sections() -> tuple[SectionSpec, ...]:
    """Every section module's ``SECTION``, in order."""
    found: list[SectionSpec] = []
    for module in pkgutil.iter_modules(__path__):
        spec = getattr(importlib.import_module(f"{__name__}.{module.name}"), "SECTION", None)
        if isinstance(spec, SectionSpec):
            found.append(spec)
    keys = [s.key for s in found]
    if len(keys) != len(set(keys)):
        raise RuntimeError(f"digest section keys are not unique: {keys}")
    return tuple(sorted(found, key=lambda s: (s.order, s.key)))

"""Options whose value must be one of a known set: a typo is a usage error (exit 2) listing the valid values,
never an empty result that lets a ``--fail-on`` gate pass."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from vendorwatch.errors import ConfigError
from vendorwatch.i18n import t

if TYPE_CHECKING:
    from vendorwatch.registry.models import Registry

SHOWN = 40  # values listed in the message at most


def require_choice(option: str, value: str | None, allowed: Iterable[str], *, several: bool = False) -> None:
    """Each value (comma-separated when ``several``) is one of ``allowed``; otherwise a usage error."""
    if value is None:
        return
    valid = sorted(dict.fromkeys(allowed))
    parts = [p.strip() for p in value.split(",")] if several else [value]
    unknown = [p for p in parts if p not in valid]
    if not unknown:
        return
    near = [m for u in unknown for m in difflib.get_close_matches(u, valid, n=3, cutoff=0.6)]
    listed = ", ".join(valid[:SHOWN]) + (f", … (+{len(valid) - SHOWN})" if len(valid) > SHOWN else "")
    details = [f"もしかして / did you mean: {', '.join(dict.fromkeys(near))}"] if near else []
    raise ConfigError(t(f"{option} の値が不正です: {', '.join(unknown)}", f"unknown {option}: {', '.join(unknown)}"),
                      details=[*details, f"有効な値 / valid values: {listed or '-'}"])


def vendor_ids(registry: Registry) -> list[str]:
    """The vendor ids of the registry in force."""
    return [vendor.id for vendor in registry.vendors]

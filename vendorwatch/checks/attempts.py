"""Failed calls are attempts, not acts: grouped per principal and target, for every family of checks.

A failed StopLogging stopped nothing and a failed GetPasswordData read no password, but someone tried: the
attempt checks report them, apart from the acts, so a reader never mistakes one for the other.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from vendorwatch.checks.model import EvaluationContext, Evidence, FindingDraft
from vendorwatch.checks.sql import calls
from vendorwatch.clock import as_utc
from vendorwatch.i18n import t


def attempt_drafts(ctx: EvaluationContext, actions: tuple[str, ...], target: Callable[[Any], str | None],
                   threshold: str | None = None) -> Iterator[FindingDraft]:
    """One finding per (vendor, principal, target) of failed ``actions``.

    ``target`` names what was tried on (None: not an attempt of this kind, e.g. a key created for oneself);
    with ``threshold`` (a parameter name), fewer failures than the vendor's value are not reported.
    """
    grouped: dict[tuple[str, str, str], list[Any]] = {}
    for row in calls(ctx.session, actions, "failure"):
        name = target(row)
        if name is not None:
            grouped.setdefault((row.vendor_id, row.principal or "(unknown)", name), []).append(row)
    for (vendor_id, principal, name), attempts in grouped.items():
        needed = int(ctx.parameters(vendor_id).get(threshold, 1)) if threshold else 1  # type: ignore[arg-type]
        if len(attempts) < needed:
            continue
        tried = sorted({a.action for a in attempts})
        errors = sorted({a.error_code or "" for a in attempts})
        yield FindingDraft(
            vendor_id, f"{principal}->{name}",
            Evidence([a.source_event_id for a in attempts], [principal],
                     {"target": name, "actions": tried, "error_codes": errors, "attempts": len(attempts),
                      "first": str(as_utc(attempts[0].event_time))}),
            t(f"{principal} が {name} に対し {', '.join(tried)} を {len(attempts)} 回試行し失敗（{', '.join(errors)}）",
              f"{principal} tried {', '.join(tried)} on {name} {len(attempts)} time(s) and failed "
              f"({', '.join(errors)})"),
        )

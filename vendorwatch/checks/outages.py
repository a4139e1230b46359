"""Something that watches switched off, and how long until it was switched on again (shared by checks).

A ``Switch`` names the calls that turn one kind of monitoring (or protection) off and those that restore it,
and what an "off" and an "on" must share to be about the same thing (the log group, the bucket, the
account and region). ``outage_drafts`` finds each successful "off" call, the first restore after it, and
says how long it stayed off — up to now when nothing restored it, as ``aws.cloudtrail.logging_stopped`` does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from vendorwatch.checks.model import EvaluationContext, Evidence, FindingDraft, ParameterValue
from vendorwatch.checks.sql import calls
from vendorwatch.clock import as_utc
from vendorwatch.i18n import t


def duration(minutes: float) -> tuple[str, str]:
    """A length of time for people: minutes, hours or days."""
    if minutes < 120:
        return f"{minutes:g} 分", f"{minutes:g} min"
    if minutes < 2 * 1440:
        return f"{minutes / 60:.1f} 時間", f"{minutes / 60:.1f} h"
    return f"{minutes / 1440:.0f} 日", f"{minutes / 1440:.0f} days"


def how_long(end: datetime | None, minutes: float, ended: tuple[str, str], lasting: tuple[str, str],
             missing: tuple[str, str]) -> tuple[str, str]:
    """``restored at T (off 2.5 h)`` or ``no restart seen (off 32.0 h+)``, in Japanese and English."""
    span_ja, span_en = duration(minutes)
    if end is not None:
        return (f"{end.isoformat()} に{ended[0]}（{span_ja}{lasting[0]}）",
                f"{ended[1]} at {end.isoformat()} ({lasting[1]} {span_en})")
    return f"{missing[0]}（{span_ja}以上{lasting[0]}）", f"{missing[1]} ({lasting[1]} {span_en}+)"


RESTORED = (("再開", "restored"), ("停止", "off"), ("再開の記録なし", "no restore seen"))


@dataclass(frozen=True)
class Scope:
    """What a switch's predicates may look at besides the event: the check's parameters and prepared facts."""

    ctx: EvaluationContext
    facts: Any = None

    def params(self, vendor_id: str) -> dict[str, ParameterValue]:
        """The check's parameters for a vendor."""
        return self.ctx.parameters(vendor_id)


def in_account_region(row: Any) -> str:
    """Key of things that exist once per account and region (a GuardDuty detector, Security Hub)."""
    return f"{row.account_id}/{row.region}"


@dataclass(frozen=True)
class Switch:
    """One kind of monitoring: the calls that switch it off and on, and how an off and an on are matched."""

    what: tuple[str, str]
    off: dict[str, Callable[[Any, Scope], str | None]]  # action -> label of what went off, or None
    on: dict[str, Callable[[Any, Scope], bool]]  # action -> whether this call restores it
    key: Callable[[Any], str] = in_account_region
    prepare: Callable[[EvaluationContext], Any] | None = None

    @property
    def actions(self) -> tuple[str, ...]:
        """Every action name involved."""
        return tuple(dict.fromkeys([*self.off, *self.on]))


def outage_drafts(ctx: EvaluationContext, switch: Switch) -> Iterator[FindingDraft]:
    """One finding per successful "off" call, restored (and for how long) or still off.

    A check with a ``grace_minutes`` parameter ignores an "off" restored within that time (an MFA device
    replaced, a recorder restarted by a deployment).
    """
    scope = Scope(ctx, switch.prepare(ctx) if switch.prepare else None)
    rows = calls(ctx.session, switch.actions)
    restores: dict[tuple[str, str], list[tuple[datetime, str]]] = {}
    offs: list[tuple[Any, str, datetime]] = []
    for row in rows:
        when = as_utc(row.event_time)
        assert when is not None
        restore = switch.on.get(row.action)
        if restore is not None and restore(row, scope):
            restores.setdefault((row.vendor_id, switch.key(row)), []).append((when, row.source_event_id))
            continue
        label_of = switch.off.get(row.action)
        label = label_of(row, scope) if label_of is not None else None
        if label is not None:
            offs.append((row, label, when))
    for row, label, when in offs:
        following = [r for r in restores.get((row.vendor_id, switch.key(row)), []) if r[0] >= when]
        restored = following[0] if following else None
        off_until = restored[0] if restored else ctx.now
        minutes = round((off_until - when).total_seconds() / 60, 1)
        grace = float(scope.params(row.vendor_id).get("grace_minutes", 0))  # type: ignore[arg-type]
        if restored is not None and minutes <= grace:
            continue
        state_ja, state_en = how_long(restored[0] if restored else None, minutes, *RESTORED)
        yield FindingDraft(
            row.vendor_id, f"{label}@{row.source_event_id}",
            Evidence([row.source_event_id] + ([restored[1]] if restored else []),
                     [row.principal] if row.principal else [],
                     {"action": row.action, "what": label, "account": row.account_id, "region": row.region,
                      "environment": row.environment_id, "at": when.isoformat(),
                      "restored_at": restored[0].isoformat() if restored else None, "minutes_off": minutes,
                      "still_off": restored is None}),
            t(f"{row.principal} が {switch.what[0]} {label} を停止（{row.action}）: {state_ja}",
              f"{row.principal} switched off {switch.what[1]} {label} ({row.action}): {state_en}"),
        )

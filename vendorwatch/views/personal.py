"""Personal data on screens: masked unless the viewer unmasked it on purpose (see vendorwatch.staff.unmasking)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from vendorwatch.masking import mask_email, mask_identifier, mask_name, mask_phone, mask_principal
from vendorwatch.registry.models import Registry

_SHORT_NAME = re.compile(r"(?:user/(?:[^/\s]+/)*|assumed-role/[^/\s]+/)([^/\s]+)$|^(?:uid|cn)=([^,]+)", re.I)


def _short_name(principal: str) -> str | None:
    match = _SHORT_NAME.search(principal)
    if not match:
        return None
    return (match.group(1) or match.group(2) or "").split("@")[0] or None


@dataclass(frozen=True)
class Masker:
    """Masks people's names, e-mails, phones and personal principals, unless ``masked`` is off.

    ``keep`` holds the declared non-personal accounts (service, break-glass) of the registry: not people, so
    shown as they are. ``masked`` is part of every cache key of the dashboard.
    """

    masked: bool = True
    keep: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def for_registry(cls, registry: Registry | None, *, masked: bool) -> Masker:
        """A masker that knows the registry's declared service and break-glass accounts."""
        keep = frozenset(a.principal for v in (registry.vendors if registry else []) for a in v.accounts)
        return cls(masked=masked, keep=keep)

    def name(self, value: str | None) -> str:
        """A person's name."""
        return "" if not value else (mask_name(value) if self.masked else value)

    def email(self, value: str | None) -> str:
        """An e-mail address."""
        return "" if not value else (mask_email(value) if self.masked else value)

    def phone(self, value: str | None) -> str:
        """A phone number."""
        return "" if not value else (mask_phone(value) if self.masked else value)

    def person(self, value: str | None) -> str:
        """A roster id of a person (``kobayashi.ken``)."""
        return "" if not value else (mask_identifier(value) if self.masked else value)

    def principal(self, value: str | None) -> str:
        """A principal (ARN, DN, key id) or a subject naming one."""
        return "" if not value else (mask_principal(value, self.keep) if self.masked else value)

    def text(self, value: str | None, principals: Iterable[str] = ()) -> str:
        """Free text (a finding's message): the principals it names, their short names, e-mail addresses."""
        if not value or not self.masked:
            return value or ""
        masked = mask_principal(value, self.keep)
        for principal in principals:
            if principal in self.keep:
                continue
            short = _short_name(principal)
            if short and len(short) > 1:
                masked = re.sub(rf"(?<![\w.@/=-]){re.escape(short)}(?![\w.@-])", mask_identifier(short), masked)
        return masked

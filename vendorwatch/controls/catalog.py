"""Load the control catalog (``catalog.yaml``) and join it with the discovered checks."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field

from vendorwatch.checks.discovery import discover_checks
from vendorwatch.checks.model import Check
from vendorwatch.i18n import Text

CATALOG_FILE = Path(__file__).with_name("catalog.yaml")


class GuidelineItem(BaseModel):
    """A guideline item: its number, title, and text (Japanese as published, English translated)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    item: str
    title: Text
    guideline: Text
    evidence: Text | None = None
    related: list[str] = Field(default_factory=list)


class Catalog(BaseModel):
    """Controls 3.2.1–3.2.7 and the related items."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    controls: list[GuidelineItem]
    related: list[GuidelineItem]

    def control(self, control_id: str) -> GuidelineItem:
        """One control by id; ``KeyError`` if unknown."""
        for control in self.controls:
            if control.id == control_id:
                return control
        raise KeyError(control_id)

    def related_item(self, item_id: str) -> GuidelineItem:
        """One related guideline item by id; ``KeyError`` if unknown."""
        for item in self.related:
            if item.id == item_id:
                return item
        raise KeyError(item_id)

    def checks_of(self, control_id: str) -> list[Check]:
        """The discovered checks of a control."""
        return [c for c in discover_checks() if c.meta.control == control_id]


@cache
def load_catalog() -> Catalog:
    """The catalog shipped with VendorWatch."""
    return Catalog.model_validate(yaml.safe_load(CATALOG_FILE.read_text(encoding="utf-8")))

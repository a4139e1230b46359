"""The one way tests import a registry: validated, then applied the way ``vendorwatch init`` applies it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from sqlalchemy import Engine
from sqlmodel import Session

from vendorwatch.clock import Clock
from vendorwatch.registry.loader import validate_text
from vendorwatch.registry.models import Registry
from vendorwatch.registry.sync import apply_import


def import_registry(engine: Engine, registry: str | dict[str, Any] | Path, clock: Clock, *,
                    allow_retire: bool = False) -> Registry:
    """Import a registry given as YAML text, as a parsed document, or as a file; returns it validated.

    A registry that does not validate fails the test with its problems. ``allow_retire`` lets an import
    drop vendors or sources that an earlier one declared (tests that change the world do).
    """
    path = "test.yaml"
    if isinstance(registry, Path):
        path, text = str(registry), registry.read_text(encoding="utf-8")
    elif isinstance(registry, dict):
        text = yaml.safe_dump(registry, allow_unicode=True)
    else:
        text = registry
    validated, problems = validate_text(text)
    assert validated is not None, problems
    with Session(engine) as session:
        apply_import(session, validated, text, path=path, actor="test", clock=clock, allow_retire=allow_retire)
        session.commit()
    return validated

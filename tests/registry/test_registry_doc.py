"""docs/registry.md documents every field of every registry model, with whether it is required; the test fails
when a model gains, loses or changes a field without the document following."""

from __future__ import annotations

import re
from typing import Any, get_args

from pydantic import BaseModel

from tests.conftest import ROOT
from vendorwatch.registry.models import Registry

DOC = ROOT / "docs" / "registry.md"


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    return [m for arg in get_args(annotation) for m in _models_in(arg)]


def _shapes() -> dict[str, dict[str, bool]]:
    """Heading key -> {field: required} for every model reachable from Registry."""
    found: dict[str, dict[str, bool]] = {}
    seen: set[type[BaseModel]] = set()

    def walk(model: type[BaseModel], path: str) -> None:
        if model.__name__.endswith("Source"):
            key = f"vendors[].sources[] (kind: {get_args(model.model_fields['kind'].annotation)[0]})"
        else:
            key = path or "(top level)"
        if model not in seen:
            seen.add(model)
            found[key] = {(i.alias or n): i.is_required() for n, i in model.model_fields.items()}
        for name, info in model.model_fields.items():
            sub = f"{path}.{info.alias or name}" if path else (info.alias or name)
            if "list[" in str(info.annotation):
                sub += "[]"
            for inner in _models_in(info.annotation):
                if inner not in seen:
                    walk(inner, sub)

    walk(Registry, "")
    return found


def _documented() -> dict[str, dict[str, bool]]:
    """Heading key (its first path, or source kind) -> {field: required} from the reference tables."""
    text = DOC.read_text(encoding="utf-8")
    reference = text.split("## 項目一覧 / Field reference", 1)[1].split("\n## ", 1)[0]
    tables: dict[str, dict[str, bool]] = {}
    for block in reference.split("#### ")[1:]:
        heading, _, body = block.partition("\n")
        kind = re.search(r"\(kind: `(\w+)`\)", heading)
        first = re.search(r"`([^`]+)`", heading)
        assert first, heading
        key = f"{first.group(1)} (kind: {kind.group(1)})" if kind else first.group(1)
        rows = re.findall(r"^\| `([^`]+)` \| (yes|no) \|", body, flags=re.M)
        tables[key] = {name: required == "yes" for name, required in rows}
    return tables


def test_every_model_field_and_whether_it_is_required_is_documented() -> None:
    assert _documented() == _shapes()


def test_the_shapes_users_asked_about_are_documented() -> None:
    documented = _documented()
    assert documented["organization.name"] == {"ja": True, "en": True}  # also vendors[].name
    assert documented["transfers[]"]["id"] and documented["vendors[].sources[] (kind: aws)"]["id"]
    assert "days" in documented["vendors[].accounts[].allowed_hours"]
    assert documented["vendors[].contacts[]"] == {"name": True, "email": True, "phone": False}
    assert "recipients" in documented["organization.digest"]

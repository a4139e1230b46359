"""``vendorwatch controls``: the control catalog (JSDA IV.3(2)) with the checks of each control."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from vendorwatch.cli.runtime import runtime


def controls(
    as_json: Annotated[bool, typer.Option("--json", help="カタログを JSON で出力 / print the catalog as JSON")] = False,
) -> None:
    """管理策と各チェック / The controls and their checks."""
    from vendorwatch.controls.catalog import load_catalog

    catalog = load_catalog()
    if as_json:
        typer.echo(json.dumps({
            "controls": [
                {**control.model_dump(), "checks": [c.meta.model_dump() for c in catalog.checks_of(control.id)]}
                for control in catalog.controls
            ],
            "related": [item.model_dump() for item in catalog.related],
        }, ensure_ascii=False, indent=2))
        return
    console = runtime().console
    for control in catalog.controls:
        console.rule(f"{control.id} ({control.item}) {control.title.ja} / {control.title.en}")
        console.print(f"{control.guideline.ja}\n{control.guideline.en}", highlight=False, markup=False)
        if control.evidence:
            console.print(f"根拠 / evidence: {control.evidence.ja} / {control.evidence.en}", highlight=False, markup=False)
        if control.related:
            names = ", ".join(f"{r} {catalog.related_item(r).title.en}" for r in control.related)
            console.print(f"関連 / related: {names}", highlight=False, markup=False)
        checks = catalog.checks_of(control.id)
        if not checks:
            console.print("  (自動チェックなし / no automatic checks)", highlight=False)
        for check in checks:
            params = ", ".join(f"{k}={v}" for k, v in check.meta.parameters.items() if k != "names")
            console.print(f"  - {check.id} [{check.meta.severity}] {check.meta.title.ja} / {check.meta.title.en}"
                          + (f" ({params})" if params else ""), highlight=False, markup=False)
    console.rule("関連するガイドライン項目 / related guideline items")
    for item in catalog.related:
        console.print(f"{item.id} ({item.item}) {item.title.ja} / {item.title.en}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    """Add ``controls`` to the app."""
    app.command("controls")(controls)

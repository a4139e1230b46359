"""``vendorwatch questionnaire check|list|show``: questionnaire files (validated like the registry)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from vendorwatch.cli.runtime import runtime
from vendorwatch.cli.text import styled
from vendorwatch.printable import printable

questionnaire_app = typer.Typer(help="質問票 / Questionnaires (check a file, list the shipped ones, show one).",
                                no_args_is_help=True)


@questionnaire_app.command("check")
def check(file: Annotated[Path, typer.Argument(help="questionnaire file (.yaml)")]) -> None:
    """質問票ファイルを検証 / Validate a questionnaire file; every error with file:line, exit 2 if any."""
    from questionnaires.loader import load_questionnaire

    loaded = load_questionnaire(file)
    q = loaded.questionnaire
    count = sum(1 for _ in q.questions())
    runtime().console.print(styled(
        ("OK", "green"), f" {file}: {q.id} {q.version} — セクション {len(q.sections)}・設問 {count} / "
        f"{len(q.sections)} sections, {count} questions"))


@questionnaire_app.command("list")
def list_command(as_json: Annotated[bool, typer.Option("--json", help="JSON で出力 / print as JSON")] = False) -> None:
    """同梱の質問票 / The shipped questionnaires, their versions and questions per control."""
    from questionnaires.loader import shipped_questionnaires

    shipped = shipped_questionnaires()
    if as_json:
        typer.echo(json.dumps([
            {"id": s.questionnaire.id, "version": s.questionnaire.version, "title": s.questionnaire.title.model_dump(),
             "audience": s.questionnaire.audience, "file": s.path.name if s.path else None, "sha256": s.sha256,
             "questions": sum(1 for _ in s.questionnaire.questions()),
             "questions_per_control": s.questionnaire.questions_per_control(),
             "questions_per_related_item": s.questionnaire.questions_per_item()}
            for s in shipped
        ], ensure_ascii=False, indent=2))
        return
    console = runtime().console
    for s in shipped:
        q = s.questionnaire
        per = "  ".join(f"{c}:{n}" for c, n in q.questions_per_control().items() if n)
        console.print(styled((printable(q.id), "bold"), f" {q.version} ({q.audience}) {q.title.ja} / {q.title.en}"))
        console.print(f"  設問 / questions {sum(1 for _ in q.questions())}: {per}", highlight=False, markup=False)


@questionnaire_app.command("show")
def show(reference: Annotated[str, typer.Argument(metavar="ID_OR_FILE", help="同梱の質問票 ID またはファイル / "
                                                                             "shipped id or file path")]) -> None:
    """質問票の内容 / Print a questionnaire: sections, questions, controls, conditions."""
    from questionnaires.conditions import explain_condition
    from questionnaires.loader import find_questionnaire

    q = find_questionnaire(reference).questionnaire
    console = runtime().console
    numbers = q.numbering()
    console.print(styled((printable(q.title.ja), "bold"), f" / {q.title.en}  ({q.id} {q.version})"))
    for section in q.sections:
        console.rule(f"{section.title.ja} / {section.title.en}")
        for question in section.questions:
            cited = question.control_id + (f" ({question.item_id})" if question.item_id else "")
            flags = [question.type, cited] + (["required"] if question.required else []) + \
                ([f"observable {question.observable}"] if question.observable else [])
            console.print(f"{numbers[question.id]} [{question.id}] {question.text.ja}", highlight=False, markup=False)
            console.print(f"    {question.text.en}", highlight=False, markup=False)
            console.print(f"    {' · '.join(flags)}", highlight=False, markup=False)
            condition = explain_condition(q, question)
            if condition:
                console.print(f"    条件 / condition: {condition.ja} / {condition.en}", highlight=False, markup=False)
            for choice in question.choices:
                label = choice.label_text()
                console.print(f"      - {choice.id}: {label.ja} / {label.en} ({choice.score:g}, {choice.result})",
                              highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    """Add ``questionnaire`` to the app."""
    app.add_typer(questionnaire_app, name="questionnaire")

"""The offline path: a request exported as an .xlsx workbook and the filled workbook imported back.

The workbook is Japanese first (English beside it), one row per question with its condition explained, the
answer cells marked, drop-down lists for choices (from a sheet of choices) and type checks for numbers, dates
and text lengths. Answers already given are filled in, so a vendor can resume offline.

Importing reads the answer cells into the same ``RawAnswer`` objects the portal's forms produce and saves and
submits them through the same functions (:func:`questionnaires.respondent.save_answers` and
:func:`questionnaires.respondent.submit`): the same validation, with each error pointed at its cell.
"""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, BinaryIO

from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import Session

from questionnaires.answers import AnswerValue, RawAnswer
from questionnaires.campaigns import get_request
from questionnaires.conditions import explain_condition
from questionnaires.definition import Question, Questionnaire
from questionnaires.errors import AnswersInvalidError, QuestionnaireError
from questionnaires.respondent import Respondent, save_answers, submit
from questionnaires.submission import load_answers
from questionnaires.versions import load_version
from vendorwatch.clock import Clock
from vendorwatch.db.tables import QuestionnaireCampaign
from vendorwatch.i18n import Text, t
from vendorwatch.registry.models import Registry

ANSWERS_SHEET = "回答"
CHOICES_SHEET = "選択肢"
META_SHEET = "vendorwatch"
HEADER_ROW = 6
FIRST_ROW = HEADER_ROW + 1
COLUMNS: tuple[tuple[str, str, int], ...] = (  # key, header (ja / en), width
    ("number", "No.", 6),
    ("id", "設問 ID\nQuestion id", 16),
    ("control", "管理策\nControl", 11),
    ("text_ja", "設問", 48),
    ("text_en", "Question", 44),
    ("type", "回答形式\nType", 14),
    ("required", "必須\nRequired", 9),
    ("condition", "回答条件\nCondition", 30),
    ("answer", "回答\nAnswer", 34),
    ("other", "「その他」の内容\nOther: describe", 26),
    ("comment", "コメント\nComment", 30),
    ("help", "補足\nHelp", 40),
)
COLUMN = {key: get_column_letter(i) for i, (key, _, _) in enumerate(COLUMNS, 1)}
TYPE_LABELS: dict[str, Text] = {
    "yes_no": t("はい／いいえ", "yes / no"),
    "single_choice": t("単一選択", "one choice"),
    "multiple_choice": t("複数選択", "several choices"),
    "text": t("記述", "text"),
    "number": t("数値", "number"),
    "date": t("日付", "date"),
    "file": t("ファイル添付", "file"),
}
ANSWER_FILL = PatternFill("solid", fgColor="FFF2CC")
LOCKED_FILL = PatternFill("solid", fgColor="EDEDED")
HEADER_FILL = PatternFill("solid", fgColor="1F3864")
THIN = Side(style="thin", color="BFBFBF")
SPLIT = re.compile(r"[、,，;；\n]+")


def choice_label(question: Question, choice_id: str) -> str:
    """What a choice looks like in a cell: ``はい / Yes``."""
    choice = question.choice(choice_id)
    label = choice.label_text() if choice else Text(ja=choice_id, en=choice_id)
    return f"{label.ja} / {label.en}"


def _normal(value: str) -> str:
    return re.sub(r"\s+", " ", value.replace("／", "/")).strip().casefold()


def choice_of(question: Question, cell: str) -> str | None:
    """The choice a cell value names: its label as written in the workbook, in Japanese, in English, or its id."""
    wanted = _normal(cell)
    for choice in question.choices:
        label = choice.label_text()
        if wanted in {_normal(f"{label.ja} / {label.en}"), _normal(label.ja), _normal(label.en), _normal(choice.id)}:
            return choice.id
    return None


# --- export ---------------------------------------------------------------------------------------------------


def _answer_cell_value(question: Question, answer: AnswerValue | None) -> Any:
    if answer is None:
        return None
    if question.has_choices:
        return "、".join(choice_label(question, c) for c in answer.choices) or None
    if question.type == "number":
        return answer.number
    if question.type == "date":
        return answer.date
    if question.type == "text":
        return answer.text
    return None


def _validation(sheet: Worksheet, question: Question, cell: str, choice_range: str | None) -> None:
    validation: DataValidation | None = None
    if question.has_choices and choice_range:
        multiple = question.type == "multiple_choice"
        validation = DataValidation(type="list", formula1=choice_range, allow_blank=True,
                                    errorStyle="information" if multiple else "stop")
        validation.promptTitle = "複数選択 / several" if multiple else "選択 / choose"
        validation.prompt = ("一覧から選ぶか、複数の場合は「、」で区切って入力 / pick, or separate several with 、"
                             if multiple else "一覧から選んでください / pick one from the list")
        validation.errorTitle = "選択肢にない値 / not a choice"
        validation.error = "一覧から選んでください / pick a value from the list"
    elif question.type == "number":
        spec = question.number
        low = spec.minimum if spec.minimum is not None else -1e15
        high = spec.maximum if spec.maximum is not None else 1e15
        validation = DataValidation(type="whole" if spec.integer else "decimal", operator="between",
                                    formula1=str(low), formula2=str(high), allow_blank=True)
        validation.error = "数値を入力してください / enter a number"
    elif question.type == "date":
        validation = DataValidation(type="date", operator="greaterThan", formula1="1", allow_blank=True)
        validation.error = "日付（YYYY-MM-DD）を入力してください / enter a date (YYYY-MM-DD)"
        validation.prompt = "YYYY-MM-DD"
    elif question.type == "text":
        validation = DataValidation(type="textLength", operator="lessThanOrEqual",
                                    formula1=str(question.text_limits.max_length), allow_blank=True)
        validation.error = f"{question.text_limits.max_length} 文字以内 / at most {question.text_limits.max_length} characters"
    if validation is not None:
        validation.showErrorMessage = True
        validation.showInputMessage = True
        sheet.add_data_validation(validation)
        validation.add(cell)


def _choices_sheet(book: Workbook, questionnaire: Questionnaire) -> dict[str, str]:
    sheet = book.create_sheet(CHOICES_SHEET)
    sheet["A1"] = "設問 ID / question id"
    sheet["B1"] = "選択肢 / choices"
    sheet["A1"].font = sheet["B1"].font = Font(bold=True)
    sheet.column_dimensions["A"].width = 28
    sheet.column_dimensions["B"].width = 60
    ranges: dict[str, str] = {}
    row = 2
    for question in questionnaire.questions():
        if not question.has_choices:
            continue
        first = row
        for choice in question.choices:
            sheet.cell(row, 1, question.id)
            sheet.cell(row, 2, choice_label(question, choice.id))
            row += 1
        ranges[question.id] = f"{quote_sheetname(CHOICES_SHEET)}!$B${first}:$B${row - 1}"
    sheet.protection.sheet = True
    return ranges


def export_workbook(session: Session, registry: Registry, request_id: int, *, clock: Clock) -> bytes:
    """The request as an .xlsx workbook (answers given so far filled in)."""
    request = get_request(session, request_id)
    version, questionnaire = load_version(session, request.version_id)
    campaign = session.get(QuestionnaireCampaign, request.campaign_id)
    assert campaign is not None and request.id is not None
    vendor = registry.vendor(request.vendor_id)
    answers = load_answers(session, request.id)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = ANSWERS_SHEET
    sheet["A1"] = questionnaire.title.ja
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A2"] = questionnaire.title.en
    sheet["A3"] = (f"依頼 / request #{request.id}　委託先 / vendor: {vendor.name.ja}（{vendor.name.en}）　"
                   f"回答期限 / due: {campaign.due_date.isoformat()}　版 / version: {questionnaire.version}")
    sheet["A4"] = ("黄色のセルに回答してください。選択肢は一覧から選べます（複数選択は「、」で区切ります）。"
                   "回答条件のある設問は、条件に当てはまる場合のみ回答してください。ファイルはポータルで添付します。")
    sheet["A5"] = ("Answer in the yellow cells. Pick choices from the list (separate several with 、). Answer a "
                   "question with a condition only when it applies. Files are attached in the portal.")
    for cell in ("A4", "A5"):
        sheet[cell].alignment = Alignment(wrap_text=False)
    for index, (_, header, width) in enumerate(COLUMNS, 1):
        cell = sheet.cell(HEADER_ROW, index, header)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        sheet.column_dimensions[get_column_letter(index)].width = width
    ranges = _choices_sheet(book, questionnaire)
    numbers = questionnaire.numbering()
    row = FIRST_ROW
    for section in questionnaire.sections:
        title = sheet.cell(row, 1, f"{section.title.ja} / {section.title.en}")
        title.font = Font(bold=True)
        sheet.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(COLUMNS))
        row += 1
        for question in section.questions:
            answer = answers.get(question.id)
            condition = explain_condition(questionnaire, question)
            cited = question.control_id + (f"\n({question.item_id})" if question.item_id else "")
            values = {
                "number": numbers[question.id], "id": question.id, "control": cited,
                "text_ja": question.text.ja, "text_en": question.text.en,
                "type": f"{TYPE_LABELS[question.type].ja}\n{TYPE_LABELS[question.type].en}",
                "required": "必須 / yes" if question.required else "任意 / no",
                "condition": f"{condition.ja}\n{condition.en}" if condition else "",
                "answer": _answer_cell_value(question, answer),
                "other": answer.other if answer else None, "comment": answer.comment if answer else None,
                "help": f"{question.help.ja}\n{question.help.en}" if question.help else "",
            }
            for index, (key, _, _) in enumerate(COLUMNS, 1):
                cell = sheet.cell(row, index, values[key])
                cell.alignment = Alignment(wrap_text=True, vertical="top")
                cell.border = Border(top=THIN, bottom=THIN, left=THIN, right=THIN)
            answer_cell = sheet[f"{COLUMN['answer']}{row}"]
            if question.type == "file":
                answer_cell.value = "ポータルで添付してください / attach in the portal"
                answer_cell.fill = LOCKED_FILL
            else:
                answer_cell.fill = ANSWER_FILL
                answer_cell.protection = Protection(locked=False)
                if question.type == "date":
                    answer_cell.number_format = "yyyy-mm-dd"
                _validation(sheet, question, answer_cell.coordinate, ranges.get(question.id))
            other = any(c.other for c in question.choices)
            for key in (("other", "comment") if other else ("comment",)):
                editable = sheet[f"{COLUMN[key]}{row}"]
                editable.fill = ANSWER_FILL
                editable.protection = Protection(locked=False)
            row += 1
    sheet.freeze_panes = f"D{FIRST_ROW}"
    sheet.protection.sheet = True
    sheet.protection.formatRows = False
    sheet.protection.formatColumns = False
    meta = book.create_sheet(META_SHEET)
    for key, value in (("request_id", request.id), ("vendor_id", request.vendor_id),
                       ("questionnaire_id", version.questionnaire_id), ("version", version.version),
                       ("sha256", version.sha256), ("exported_at", clock.now().isoformat())):
        meta.append([key, value])
    meta.sheet_state = "veryHidden"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


# --- import ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CellError:
    """A problem in one cell of the imported workbook."""

    cell: str
    question_id: str | None
    message: Text

    def render(self) -> str:
        """``回答!I12 (mfa-required): 日本語 / English``."""
        where = f"{ANSWERS_SHEET}!{self.cell}"
        return f"{where} ({self.question_id}): {self.message.both()}" if self.question_id else \
            f"{where}: {self.message.both()}"


@dataclass
class ImportOutcome:
    """What importing a workbook did: answers saved, whether it was submitted, and errors by cell."""

    saved: list[str] = field(default_factory=list)
    cleared: list[str] = field(default_factory=list)
    submitted: bool = False
    errors: list[CellError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No cell had a problem."""
        return not self.errors


class WorkbookInvalidError(QuestionnaireError):
    """A file that is not this request's VendorWatch workbook."""


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    text = str(value).strip()
    return text or None


def _read(stream: BinaryIO) -> Any:
    try:
        return load_workbook(stream, data_only=True, read_only=False)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise WorkbookInvalidError(t("Excel ブック（.xlsx）として読めません", "not an Excel workbook (.xlsx)"),
                                   details=[f"{type(exc).__name__}: {exc}"[:200]]) from None


def _meta(book: Any) -> dict[str, str]:
    if META_SHEET not in book.sheetnames or ANSWERS_SHEET not in book.sheetnames:
        raise WorkbookInvalidError(t("VendorWatch から書き出したブックではありません（シートが足りません）",
                                     "not a workbook exported by VendorWatch (sheets are missing)"))
    return {str(row[0]): str(row[1]) for row in book[META_SHEET].iter_rows(values_only=True) if row and row[0]}


def _raw_answer(question: Question, row: int, cells: dict[str, Any],
                errors: list[CellError]) -> RawAnswer | None:
    """A row's cells as a ``RawAnswer``; None for a file question (files are attached in the portal)."""
    answer_cell = f"{COLUMN['answer']}{row}"
    value = cells["answer"]
    comment = _text(cells["comment"])
    other = _text(cells["other"])
    if question.type == "file":
        return RawAnswer(comment=comment)
    if question.has_choices:
        chosen: list[str] = []
        for part in SPLIT.split(_text(value) or ""):
            if not part.strip():
                continue
            choice = choice_of(question, part)
            if choice is None:
                errors.append(CellError(answer_cell, question.id,
                                        t(f"選択肢にない回答です: {part.strip()}", f"not a choice: {part.strip()}")))
                return None
            chosen.append(choice)
        return RawAnswer(choices=chosen, other=other, comment=comment)
    if question.type == "number":
        number = value if isinstance(value, int | float) and not isinstance(value, bool) else _text(value)
        return RawAnswer(number=number, comment=comment)
    if question.type == "date":
        if isinstance(value, datetime | date):
            return RawAnswer(date=value, comment=comment)
        return RawAnswer(date=_text(value), comment=comment)
    return RawAnswer(text=None if value is None else str(value), comment=comment)


def read_answers(stream: BinaryIO, questionnaire: Questionnaire,
                 request_id: int) -> tuple[dict[str, RawAnswer], dict[str, int], list[CellError]]:
    """The answers of a filled workbook, the row of each question, and the cells that could not be read."""
    book = _read(stream)
    meta = _meta(book)
    if meta.get("request_id") != str(request_id):
        raise WorkbookInvalidError(t(f"このブックは依頼 {meta.get('request_id')} のものです（取込み先は {request_id}）",
                                     f"this workbook belongs to request {meta.get('request_id')}, not {request_id}"))
    if meta.get("questionnaire_id") != questionnaire.id or meta.get("version") != questionnaire.version:
        raise WorkbookInvalidError(t("ブックの質問票・版が依頼と一致しません",
                                     "the workbook's questionnaire or version does not match the request"))
    sheet = book[ANSWERS_SHEET]
    answers: dict[str, RawAnswer] = {}
    rows: dict[str, int] = {}
    errors: list[CellError] = []
    index = {key: i for i, (key, _, _) in enumerate(COLUMNS)}
    for row_number, row in enumerate(sheet.iter_rows(min_row=FIRST_ROW, values_only=True), FIRST_ROW):
        question_id = _text(row[index["id"]]) if len(row) > index["id"] else None
        if question_id is None:
            continue  # a section title or an empty row
        try:
            question = questionnaire.question(question_id)
        except KeyError:
            errors.append(CellError(f"{COLUMN['id']}{row_number}", None,
                                    t(f"この質問票にない設問 ID です: {question_id}", f"no question {question_id} here")))
            continue
        if question_id in rows:
            errors.append(CellError(f"{COLUMN['id']}{row_number}", question_id,
                                    t("同じ設問が 2 回あります", "the same question appears twice")))
            continue
        rows[question_id] = row_number
        cells = {key: row[i] if len(row) > i else None for key, i in index.items()}
        raw = _raw_answer(question, row_number, cells, errors)
        if raw is not None:
            answers[question_id] = raw
    return answers, rows, errors


def import_workbook(session: Session, respondent: Respondent, request_id: int, stream: BinaryIO, *, clock: Clock,
                    submit_after: bool = False) -> ImportOutcome:
    """Save (and optionally submit) a filled workbook through the portal's functions; errors point at cells."""
    request = get_request(session, request_id)
    if request.vendor_id != respondent.vendor_id:
        raise WorkbookInvalidError(t(f"依頼 {request_id} は {respondent.vendor_id} のものではありません",
                                     f"request {request_id} is not {respondent.vendor_id}'s"))
    _, questionnaire = load_version(session, request.version_id)
    answers, rows, errors = read_answers(stream, questionnaire, request_id)
    outcome = ImportOutcome(errors=errors)
    answer_column = COLUMN["answer"]
    unreadable = {e.question_id for e in errors}
    saved = save_answers(session, respondent, request_id,
                         {q: a for q, a in answers.items() if q not in unreadable}, clock=clock)
    outcome.saved, outcome.cleared = saved.saved, saved.cleared
    for question_id, messages in saved.errors.items():
        outcome.errors.extend(CellError(f"{answer_column}{rows.get(question_id, 0)}", question_id, m) for m in messages)
    if submit_after and outcome.ok:
        try:
            submit(session, respondent, request_id, clock=clock)
            outcome.submitted = True
        except AnswersInvalidError as refused:
            for question_id, messages in refused.errors.items():
                cell = f"{answer_column}{rows[question_id]}" if question_id in rows else "A1"
                outcome.errors.extend(CellError(cell, question_id or None, m) for m in messages)
    outcome.errors.sort(key=lambda e: (int(re.sub(r"\D", "", e.cell) or 0), e.cell))
    return outcome

"""The offline path: export a request as .xlsx (Japanese first, drop-down lists, conditions explained), fill it,
import it back through the portal's own save and submit, with errors pointed at their cells."""

from __future__ import annotations

import io
from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest
from sqlmodel import Session

from questionnaires.answers import RawAnswer
from questionnaires.campaigns import send_campaign
from questionnaires.loader import load_questionnaire
from questionnaires.respondent import open_request, save_answers
from questionnaires.workbook import (
    ANSWERS_SHEET,
    CHOICES_SHEET,
    META_SHEET,
    WorkbookInvalidError,
    export_workbook,
    import_workbook,
)
from tests.questionnaires.conftest import GOOD_ANSWERS, Campaigns
from tests.questionnaires.test_conditions_and_scoring import TEXT

ALL_TYPES = TEXT + """\
      - id: policy
        type: file
        control: "3.2.1"
        required: false
        text: {ja: 規程, en: Policy}
      - id: notes
        type: text
        control: "3.2.1"
        text_limits: {max_length: 20}
        text: {ja: 備考, en: Notes}
"""


@pytest.fixture
def request_id(sqlite_campaigns: Campaigns, tmp_path: Path) -> int:
    path = tmp_path / "all-types.yaml"
    path.write_text(ALL_TYPES, encoding="utf-8")
    c = sqlite_campaigns
    with Session(c.engine) as session:
        sent = send_campaign(session, c.world.registry, load_questionnaire(path), ["acme"], due_date=date(2026, 12, 10),
                             actor="m", clock=c.clock)
        session.commit()
        assert sent.requests[0].id is not None
        return sent.requests[0].id


def exported(c: Campaigns, request_id: int) -> openpyxl.Workbook:
    with Session(c.engine) as session:
        data = export_workbook(session, c.world.registry, request_id, clock=c.clock)
    return openpyxl.load_workbook(io.BytesIO(data))


def rows_by_id(sheet) -> dict[str, int]:
    return {sheet[f"B{r}"].value: r for r in range(7, sheet.max_row + 1) if sheet[f"B{r}"].value}


def saved(book: openpyxl.Workbook) -> io.BytesIO:
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    return buffer


def test_the_workbook_is_japanese_first_with_lists_conditions_and_the_answers_so_far(sqlite_campaigns: Campaigns,
                                                                                      request_id: int) -> None:
    c = sqlite_campaigns
    with Session(c.engine) as session:
        save_answers(session, c.contact("acme"), request_id, {"uses": RawAnswer(choices=["yes"])}, clock=c.clock)
        session.commit()
    book = exported(c, request_id)
    assert book.sheetnames == [ANSWERS_SHEET, CHOICES_SHEET, META_SHEET]
    assert book[META_SHEET].sheet_state == "veryHidden"
    sheet = book[ANSWERS_SHEET]
    assert sheet["A1"].value == "例" and sheet["A2"].value == "Example"
    assert sheet["D6"].value == "設問" and sheet["E6"].value == "Question"
    rows = rows_by_id(sheet)
    assert sheet[f"I{rows['uses']}"].value == "はい / Yes"  # resumed
    assert sheet[f"H{rows['how']}"].value == "1.1 で「はい」を選んだ場合に回答\nanswer if 1.1 is 'Yes'"
    assert sheet[f"I{rows['policy']}"].value.startswith("ポータルで添付")
    validations = {str(v.sqref): v for v in sheet.data_validations.dataValidation}
    uses = validations[f"I{rows['uses']}"]
    assert uses.type == "list" and uses.formula1.startswith(f"'{CHOICES_SHEET}'!$B$")
    assert validations[f"I{rows['how']}"].errorStyle == "information"  # several choices can be typed
    assert validations[f"I{rows['staff']}"].type == "whole"
    assert validations[f"I{rows['since']}"].type == "date"
    assert validations[f"I{rows['notes']}"].type == "textLength" and validations[f"I{rows['notes']}"].formula1 == "20"
    choices = [row[1] for row in book[CHOICES_SHEET].iter_rows(min_row=2, values_only=True) if row[0] == "how"]
    assert choices == ["契約 / Contract", "監査 / Audit", "認証 / Certificates", "その他 / Other", "なし / None"]
    assert sheet.protection.sheet and not sheet[f"I{rows['uses']}"].protection.locked
    assert sheet[f"D{rows['uses']}"].protection.locked


def test_a_filled_workbook_round_trips_into_a_submission(sqlite_campaigns: Campaigns, request_id: int) -> None:
    c = sqlite_campaigns
    book = exported(c, request_id)
    sheet = book[ANSWERS_SHEET]
    rows = rows_by_id(sheet)
    sheet[f"I{rows['uses']}"] = "はい"  # Japanese label alone
    sheet[f"I{rows['how']}"] = "契約 / Contract、Audit、その他"  # several, in any of the label forms
    sheet[f"J{rows['how']}"] = "年次の訪問監査"
    sheet[f"I{rows['both']}"] = "契約書の第 12 条"
    sheet[f"I{rows['either']}"] = "監査報告書"
    sheet[f"I{rows['mfa']}"] = "Yes"
    sheet[f"I{rows['staff']}"] = 12
    sheet[f"I{rows['since']}"] = datetime(2024, 4, 1)
    sheet[f"I{rows['notes']}"] = "特になし"
    sheet[f"K{rows['mfa']}"] = "全員パスキー"
    with Session(c.engine) as session:
        outcome = import_workbook(session, c.contact("acme"), request_id, saved(book), clock=c.clock, submit_after=True)
        session.commit()
    assert outcome.ok, [e.render() for e in outcome.errors]
    assert outcome.submitted
    with Session(c.engine) as session:
        view = open_request(session, c.contact("acme"), request_id, clock=c.clock)
    assert view.request.state == "submitted"
    answers = view.answers
    assert answers["how"].choices == ["contract", "audit", "other"] and answers["how"].other == "年次の訪問監査"
    assert answers["staff"].number == 12 and answers["since"].date == date(2024, 4, 1)
    assert answers["mfa"].choices == ["yes"] and answers["mfa"].comment == "全員パスキー"
    again = exported(c, request_id)[ANSWERS_SHEET]  # what was imported exports the same way
    assert again[f"I{rows['how']}"].value == "契約 / Contract、監査 / Audit、その他 / Other"


def test_a_bad_workbook_gets_an_error_per_cell_and_nothing_is_submitted(sqlite_campaigns: Campaigns,
                                                                        request_id: int) -> None:
    c = sqlite_campaigns
    book = exported(c, request_id)
    sheet = book[ANSWERS_SHEET]
    rows = rows_by_id(sheet)
    sheet[f"I{rows['uses']}"] = "はい"
    sheet[f"I{rows['how']}"] = "その他"  # "other" without a description
    sheet[f"I{rows['mfa']}"] = "たぶん"  # not a choice
    sheet[f"I{rows['staff']}"] = -3  # below the minimum
    sheet[f"I{rows['since']}"] = "来年"  # not a date
    sheet[f"I{rows['notes']}"] = "長" * 21  # over 20 characters
    with Session(c.engine) as session:
        outcome = import_workbook(session, c.contact("acme"), request_id, saved(book), clock=c.clock, submit_after=True)
        session.commit()
    rendered = [e.render() for e in outcome.errors]
    assert not outcome.submitted
    assert rendered == [
        f"回答!I{rows['how']} (how): 「その他」を選んだ場合は内容を記入してください / describe your 'other' answer",
        f"回答!I{rows['mfa']} (mfa): 選択肢にない回答です: たぶん / not a choice: たぶん",
        f"回答!I{rows['staff']} (staff): 0 以上の値を入力してください / enter at least 0",
        f"回答!I{rows['since']} (since): 日付は YYYY-MM-DD で入力してください: 来年 / enter a date as YYYY-MM-DD: 来年",
        f"回答!I{rows['notes']} (notes): 回答は 20 文字以内にしてください / the answer must be at most 20 characters",
    ]
    with Session(c.engine) as session:  # the same messages as the portal's save gives for the same answer
        portal = save_answers(session, c.contact("acme"), request_id, {"staff": RawAnswer(number=-3)}, clock=c.clock)
    assert portal.errors["staff"][0] == outcome.errors[2].message


def test_a_complete_but_unsubmittable_workbook_names_the_missing_cells(sqlite_campaigns: Campaigns,
                                                                       request_id: int) -> None:
    c = sqlite_campaigns
    book = exported(c, request_id)
    sheet = book[ANSWERS_SHEET]
    rows = rows_by_id(sheet)
    sheet[f"I{rows['uses']}"] = "いいえ"
    with Session(c.engine) as session:
        outcome = import_workbook(session, c.contact("acme"), request_id, saved(book), clock=c.clock, submit_after=True)
        session.commit()
    assert [e.cell for e in outcome.errors] == [f"I{rows['mfa']}", f"I{rows['notes']}"]  # how and below are hidden
    assert outcome.errors[0].message.en == "this question needs an answer" and outcome.saved == ["uses"]


def test_workbooks_of_another_request_or_not_workbooks_at_all_are_refused(sqlite_campaigns: Campaigns,
                                                                         request_id: int) -> None:
    c = sqlite_campaigns
    [other] = c.send("acme")
    book = exported(c, other)
    with Session(c.engine) as session:
        with pytest.raises(WorkbookInvalidError) as wrong:
            import_workbook(session, c.contact("acme"), request_id, saved(book), clock=c.clock)
        assert f"belongs to request {other}" in wrong.value.message.en
        with pytest.raises(WorkbookInvalidError):
            import_workbook(session, c.contact("acme"), request_id, io.BytesIO(b"not a zip"), clock=c.clock)
        plain = openpyxl.Workbook()
        with pytest.raises(WorkbookInvalidError) as foreign:
            import_workbook(session, c.contact("acme"), request_id, saved(plain), clock=c.clock)
        assert "not a workbook exported by VendorWatch" in foreign.value.message.en
        with pytest.raises(WorkbookInvalidError):
            import_workbook(session, c.contact("beta"), request_id, saved(book), clock=c.clock)


def test_the_baseline_exports_and_imports_good_answers(sqlite_campaigns: Campaigns) -> None:
    c = sqlite_campaigns
    [request_id] = c.send("acme")
    with Session(c.engine) as session:
        save_answers(session, c.contact("acme"), request_id, GOOD_ANSWERS, clock=c.clock)
        session.commit()
    book = exported(c, request_id)
    with Session(c.engine) as session:
        outcome = import_workbook(session, c.contact("acme"), request_id, saved(book), clock=c.clock, submit_after=True)
        session.commit()
    assert outcome.ok and outcome.submitted and outcome.saved == []  # nothing changed, all submitted

"""The portal's pages over HTTP (Starlette's test client, the real app and database): a contact saves a draft,
sees errors beside the fields, uploads evidence, submits, answers the reviewer's note, sees the history."""

from __future__ import annotations

import re

from sqlmodel import Session
from starlette.testclient import TestClient

from questionnaires.review import accept, request_changes
from questionnaires.submission import load_answers
from tests.portal.conftest import Portal, app_for, form_token, sign_in
from tests.questionnaires.conftest import GOOD_ANSWERS

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_a_contact_answers_uploads_submits_and_answers_a_note(sqlite_portal: Portal) -> None:
    portal = sqlite_portal
    request_id = portal.send("acme")[0]
    client = TestClient(app_for(portal))
    sign_in(portal, client, "acme")
    home = client.get("/")
    assert home.status_code == 200 and "回答をお願いしている質問票" in home.text
    assert f'href="/requests/{request_id}"' in home.text
    page = client.get(f"/requests/{request_id}")
    assert page.status_code == 200 and 'id="q-certification"' in page.text
    assert re.search(r'<fieldset[^>]*id="q-iso-certificate"[^>]*hidden', page.text)  # conditional, not yet shown
    token = form_token(client)
    saved = client.post(f"/requests/{request_id}", data={"csrf": token, "action": "save", "shown": ["certification",
                        "employees"], "q.certification": "iso27001"}, follow_redirects=False)
    assert saved.status_code == 303 and saved.headers["location"].endswith("?m=saved")
    page = client.get(f"/requests/{request_id}?m=saved")
    assert "下書きを保存しました" in page.text
    assert not re.search(r'<fieldset[^>]*id="q-iso-certificate"[^>]*hidden', page.text)  # shown now
    upload = client.post(f"/requests/{request_id}/files/iso-certificate",
                         data={"csrf": token, "kind": "iso27001_certificate", "valid_until": "2027-09-30"},
                         files={"file": ("iso-27001.pdf", PDF, "application/pdf")}, follow_redirects=False)
    assert upload.status_code == 303, upload.text
    assert "iso-27001.pdf" in client.get(f"/requests/{request_id}").text
    refused = client.post(f"/requests/{request_id}", data={"csrf": token, "action": "submit", "shown": ["certification"],
                          "q.certification": "iso27001"})
    assert refused.status_code == 422 and "必須の設問です" in refused.text
    with Session(portal.engine) as session:
        assert load_answers(session, request_id)["certification"].choices == ["iso27001"]
    refused_en = client.post(f"/requests/{request_id}?lang=en", data={"csrf": token, "action": "save",
                             "shown": ["certification"], "q.certification": "bogus"})
    assert refused_en.status_code == 422 and "not a choice of this question" in refused_en.text
    assert 'aria-invalid="true" aria-describedby="q-certification-error"' in refused_en.text
    client.get("/language/ja?next=/")

    data: dict[str, object] = {"csrf": token, "action": "submit", "shown": [*list(GOOD_ANSWERS), "certification"]}
    for question, raw in GOOD_ANSWERS.items():
        if raw.choices:
            data[f"q.{question}"] = raw.choices
        if raw.text:
            data[f"q.{question}.text"] = raw.text
    data["q.certification"] = "iso27001"
    submitted = client.post(f"/requests/{request_id}", data=data, follow_redirects=False)
    assert submitted.status_code == 303, submitted.text
    assert "提出済み" in client.get(f"/requests/{request_id}").text

    with Session(portal.engine) as session:
        request_changes(session, request_id, {"no-shared-accounts": "共有アカウントの有無を再確認してください"},
                        actor="manager@firm", clock=portal.clock)
        session.commit()
    page = client.get(f"/requests/{request_id}")
    assert "共有アカウントの有無を再確認してください" in page.text
    note_id = re.search(r'name="note\.(\d+)"', page.text).group(1)  # type: ignore[union-attr]
    data["notes"] = note_id
    data["note." + note_id] = "再確認しました。共有アカウントはありません。"
    again = client.post(f"/requests/{request_id}", data=data, follow_redirects=False)
    assert again.status_code == 303, again.text
    with Session(portal.engine) as session:
        accept(session, request_id, actor="manager@firm", clock=portal.clock)
        session.commit()
    history = client.get("/history")
    assert history.status_code == 200 and history.text.count("<tr>") == 3  # header + two submissions
    assert "承認" in history.text and "差戻し" in history.text


def test_a_parent_vendor_sees_its_sub_vendors_status_only(sqlite_portal: Portal) -> None:
    portal = sqlite_portal
    portal.send("acme", "acme-sub")
    client = TestClient(app_for(portal))
    sign_in(portal, client, "acme")
    home = client.get("/").text
    assert "再委託先の回答状況" in home and "未着手" in home
    sub_client = TestClient(app_for(portal))
    sign_in(portal, sub_client, "acme-sub")
    assert "再委託先の回答状況" not in sub_client.get("/").text


def test_a_contact_removed_from_the_registry_is_signed_out_at_the_next_page(sqlite_portal: Portal) -> None:
    portal = sqlite_portal
    portal.send("acme")
    client = TestClient(app_for(portal))
    sign_in(portal, client, "acme")
    assert client.get("/", follow_redirects=False).status_code == 200  # signed in: the request list
    document = portal.world.registry.model_dump(mode="json", by_alias=True, exclude_none=True)
    next(v for v in document["vendors"] if v["id"] == "acme")["contacts"] = []
    portal.world.reimport({"vendors": document["vendors"]})  # the contact left acme; the portal keeps running
    page = client.get("/", follow_redirects=False)
    assert page.status_code in (302, 303) and page.headers["location"].startswith("/signin")

"""Questionnaires: where each campaign and request stands; one request's answers beside the telemetry that
contradicts them; return with a note per question, accept, reopen (managers); evidence documents with expiry."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from dashboard import actions, data
from dashboard.context import PageContext, current
from dashboard.texts import QUESTIONNAIRE_RESULT, REQUEST_STATE, SEVERITY, STATUS, label, text, tr
from dashboard.widgets import code, md, size_text, when
from vendorwatch.errors import VendorWatchError
from vendorwatch.staff.roles import Permission, allows
from vendorwatch.views.questionnaires import AnswerLine, DocumentLine, FileRow, RequestLine, Review

EXPIRY_WARNING_DAYS = 60  # as the document reminders (60/30/7 days before)
ctx = current()
names = {v.id: v.name.text() for v in ctx.registry.vendors}
may_review = allows(ctx.user.role, Permission.REVIEW)
may_download = allows(ctx.user.role, Permission.EVIDENCE)


def vendor_name(vendor_id: str) -> str:
    """The vendor's name in the session's language, with its id."""
    name = names.get(vendor_id)
    return f"{text(name)} ({vendor_id})" if name else vendor_id


def score_text(line: RequestLine | Review) -> str:
    """``82% 一部対応`` or — before any submission."""
    percent = line.score if isinstance(line, RequestLine) else line.percent
    if percent is None:
        return "—"
    return f"{percent:.0f}% {label(QUESTIONNAIRE_RESULT, line.result)}".strip()


def due_text(line: RequestLine) -> str:
    """The due date and the days left, or how late."""
    if line.state in ("accepted", "cancelled", "submitted"):
        return line.due_date.isoformat()
    if line.overdue:
        return tr(f"{line.due_date.isoformat()}（{-line.days_left} 日超過）",
                  f"{line.due_date.isoformat()} ({-line.days_left} days overdue)")
    return tr(f"{line.due_date.isoformat()}（残り {line.days_left} 日）",
              f"{line.due_date.isoformat()} ({line.days_left} days left)")


def download(ctx: PageContext, file: FileRow, *, key: str) -> None:
    """A manager's download of a stored evidence file, as an attachment (the bytes read and audited on click)."""
    if not may_download:
        return
    st.download_button(tr(f"{file.filename} をダウンロード", f"Download {file.filename}"),
                       data=actions.evidence_download(ctx, file.file_id), file_name=file.filename,
                       mime="application/octet-stream", key=key, icon=":material/download:", on_click="ignore")


st.title(tr("質問票", "Questionnaires"))
book = data.questionnaires_of(ctx)
if not book.requests:
    st.info(tr("質問票はまだ送付されていません（`vendorwatch campaign send`）。",
               "No questionnaire has been sent yet (`vendorwatch campaign send`)."))
else:
    waiting = sum(1 for r in book.requests if r.state == "submitted")
    overdue = sum(1 for r in book.requests if r.overdue)
    contradicted = sum(r.contradicted for r in book.requests)
    cols = st.columns(5)
    cols[0].metric(tr("キャンペーン", "Campaigns"), len(book.campaigns))
    cols[1].metric(tr("依頼", "Requests"), len(book.requests))
    cols[2].metric(tr("確認待ち", "Awaiting review"), waiting)
    cols[3].metric(tr("期限超過", "Overdue"), overdue)
    cols[4].metric(tr("監視データと矛盾する回答", "Answers contradicted by telemetry"), contradicted)

    st.subheader(tr("キャンペーン", "Campaigns"))
    st.dataframe(pd.DataFrame([{
        "#": c.campaign_id, tr("名称", "Name"): c.name, tr("質問票", "Questionnaire"): f"{c.questionnaire_id} {c.version}",
        tr("期限", "Due"): c.due_date.isoformat(), tr("依頼", "Requests"): c.requests,
        tr("状況", "Where they stand"): " · ".join(f"{label(REQUEST_STATE, s)} {n}" for s, n in sorted(c.by_state.items())),
        tr("期限超過", "Overdue"): c.overdue, tr("矛盾", "Contradicted"): c.contradicted,
    } for c in book.campaigns]), hide_index=True, width="stretch",
        column_config={tr("名称", "Name"): st.column_config.TextColumn(width="medium"),
                       tr("状況", "Where they stand"): st.column_config.TextColumn(width="medium")})

    st.subheader(tr("依頼（委託先ごと）", "Requests (one per vendor)"))
    campaign_labels: dict[int | None, str] = {None: tr("すべて", "all"),
                                              **{c.campaign_id: f"#{c.campaign_id} {c.name}" for c in book.campaigns}}
    f1, f2 = st.columns([2, 2])
    campaign = f1.selectbox(tr("キャンペーン", "Campaign"), list(campaign_labels), key="q_campaign",
                            format_func=campaign_labels.__getitem__)
    states = sorted({r.state for r in book.requests})
    chosen_states = f2.multiselect(tr("状態", "State"), states, key="q_states", placeholder=tr("すべて", "all"),
                                   format_func=lambda s: label(REQUEST_STATE, s))
    lines = [r for r in book.requests if (campaign is None or r.campaign_id == campaign)
             and (not chosen_states or r.state in chosen_states)]
    picked = st.dataframe(pd.DataFrame([{
        tr("依頼", "Request"): r.request_id,
        tr("委託先", "Vendor"): ("└ " if r.parent_id else "") + vendor_name(r.vendor_id),
        tr("質問票", "Questionnaire"): f"{r.questionnaire_id} {r.version}",
        tr("状態", "State"): ("⚠ " if r.overdue else "") + label(REQUEST_STATE, r.state),
        tr("期限", "Due"): due_text(r),
        tr("提出", "Submitted"): when(ctx, r.submitted_at) + (tr(f"（{r.submissions} 回）", f" ({r.submissions}×)")
                                                             if r.submissions > 1 else ""),
        tr("スコア", "Score"): score_text(r), tr("矛盾", "Contradicted"): r.contradicted,
    } for r in lines]), hide_index=True, width="stretch", on_select="rerun", selection_mode="single-row",
        key="q_table", column_config={tr("矛盾", "Contradicted"): st.column_config.NumberColumn(width="small"),
                                      tr("依頼", "Request"): st.column_config.NumberColumn(width="small")})
    st.caption(tr("行を選ぶと下に回答が表示されます。矛盾: 監視データ（指摘事項・イベント・主体）と食い違う回答の数。",
                  "Select a row to open its answers below. Contradicted: answers the telemetry (findings, events, "
                  "principals) contradicts."))

    asked = st.query_params.get("request")
    if asked and asked.isdigit() and st.session_state.get("q_from_link") != asked:
        st.session_state["q_from_link"] = asked
        st.session_state["q_open"] = int(asked)
    selected = list(picked.selection.rows) if picked else []
    if selected and selected[0] < len(lines) and st.session_state.get("q_table_applied") != lines[selected[0]].request_id:
        st.session_state["q_table_applied"] = lines[selected[0]].request_id
        st.session_state["q_open"] = lines[selected[0]].request_id
    by_id = {r.request_id: r for r in book.requests}
    default = next((r.request_id for r in lines if r.state == "submitted"), lines[0].request_id if lines else None)
    if st.session_state.get("q_open") not in by_id:
        st.session_state["q_open"] = default
    options = list(by_id)
    request_labels = {i: f"#{i} {vendor_name(by_id[i].vendor_id)} — {by_id[i].questionnaire_id} "
                         f"({label(REQUEST_STATE, by_id[i].state)})" for i in options}
    request_id = st.selectbox(tr("開く依頼", "Request to open"), options, key="q_open",
                              format_func=request_labels.__getitem__)
    if request_id is not None:
        done = st.session_state.pop("q_done", None)
        if done:
            st.success(done, icon=":material/check_circle:")
        view = data.review_of(ctx, int(request_id))
        st.divider()
        st.subheader(tr(f"依頼 #{view.request_id} {md(vendor_name(view.vendor_id))}",
                        f"Request #{view.request_id} {md(vendor_name(view.vendor_id))}"))
        st.markdown(f":blue-badge[{label(REQUEST_STATE, view.state)}] {md(text(view.title))} {code(view.version)} · "
                    + tr(f"期限 {view.due_date.isoformat()}", f"due {view.due_date.isoformat()}")
                    + f" · {md(view.campaign)}")
        facts = st.columns(4)
        facts[0].metric(tr("スコア", "Score"), score_text(view))
        facts[1].metric(tr("提出", "Submission"), f"#{view.submission_number}" if view.submission_number else "—",
                        delta=when(ctx, view.submitted_at) or None, delta_color="off", delta_arrow="off")
        facts[2].metric(tr("矛盾する回答", "Contradicted answers"), view.contradictions)
        facts[3].metric(tr("未対応の指摘（回答から）", "Findings from answers"),
                        sum(len(a.findings) for a in view.answers))
        if view.submitted_by:
            st.caption(tr(f"提出者 {view.submitted_by}（{view.via}）", f"submitted by {view.submitted_by} via {view.via}"))

        def answer_row(a: AnswerLine) -> dict[str, object]:
            return {
                tr("番号", "No."): a.number, tr("管理策", "Control"): a.control_id,
                tr("設問", "Question"): text(a.question),
                tr("回答", "Answer"): text(a.answer) if a.answer else tr("（未回答）", "(no answer)"),
                tr("評価", "Result"): label(QUESTIONNAIRE_RESULT, a.result),
                tr("監視データ", "Telemetry"): tr("⚠ 矛盾", "⚠ contradicted") if a.contradiction else "",
                tr("指摘事項", "Findings"): ", ".join(f"#{f.finding_id}" for f in a.findings),
                tr("添付", "Files"): ", ".join(f.filename for f in a.files),
                tr("差戻しの指摘", "Notes"): " / ".join(n.note for n in a.notes),
                tr("コメント", "Comment"): a.comment,
            }

        st.markdown(f"**{tr('回答', 'Answers')}**")
        st.dataframe(pd.DataFrame([answer_row(a) for a in view.answers]), hide_index=True, width="stretch",
                     column_config={tr("設問", "Question"): st.column_config.TextColumn(width="large"),
                                    tr("回答", "Answer"): st.column_config.TextColumn(width="medium")})

        contradicted_answers = [a for a in view.answers if a.contradiction]
        if contradicted_answers:
            st.markdown(f"**{tr('監視データと矛盾する回答', 'Answers the telemetry contradicts')}**")
        for a in contradicted_answers:
            c = a.contradiction
            assert c is not None
            with st.container(border=True):
                left, right = st.columns([2, 3])
                with left:
                    st.markdown(f"**{a.number} {md(text(a.question))}**")
                    st.markdown(tr("回答: ", "Answer: ") + (md(text(a.answer)) if a.answer else "—")
                                + f"  \n:red-badge[{tr('矛盾', 'contradicted')}] " + tr("申告内容: ", "claim: ")
                                + md(text(c.claim)))
                    for finding in a.findings:
                        st.page_link("app_pages/findings.py", label=tr(
                            f"指摘事項 #{finding.finding_id}（{label(SEVERITY, finding.severity)}・"
                            f"{label(STATUS, finding.status)}）", f"finding #{finding.finding_id} "
                            f"({label(SEVERITY, finding.severity)}, {label(STATUS, finding.status)})"),
                                     query_params={"finding": str(finding.finding_id)}, icon=":material/report:")
                    for finding_id in c.finding_ids:
                        st.page_link("app_pages/findings.py",
                                     label=tr(f"根拠の指摘事項 #{finding_id}", f"evidence: finding #{finding_id}"),
                                     query_params={"finding": str(finding_id)}, icon=":material/link:")
                with right:
                    st.markdown(f"**{tr('監視データが示すこと', 'What the telemetry shows')}**")
                    for fact in c.facts:
                        st.markdown(f"- {md(text(fact))}")
                    if c.principals:
                        st.caption(tr("主体: ", "Principals: ") + md(", ".join(c.principals)))
                    if c.events:
                        st.dataframe(pd.DataFrame([{
                            tr("日時", "Time"): when(ctx, e.event_time), tr("主体", "Principal"): e.principal,
                            tr("操作", "Action"): e.action, tr("対象", "Resource"): e.resource,
                            tr("送信元 IP", "Source IP"): e.source_ip, tr("結果", "Outcome"): e.outcome,
                        } for e in c.events]), hide_index=True, width="stretch")
                        if c.event_count > len(c.events):
                            st.caption(tr(f"全 {c.event_count} 件のうち {len(c.events)} 件", f"{len(c.events)} of "
                                          f"{c.event_count} events"))

        files = [(a, f) for a in view.answers for f in a.files]
        if files:
            st.markdown(f"**{tr('添付された証跡', 'Evidence attached to the answers')}**")
            for number, (a, f) in enumerate(files):
                row = st.columns([3, 1])
                row[0].markdown(f"{a.number} {code(f.filename)} · {size_text(f.size)} · {md(f.media_type)} · "
                                f"sha256 {code(f.sha256[:12] + '…')}")
                with row[1]:
                    download(ctx, f, key=f"q_file_{view.request_id}_{number}")

        if view.general_notes:
            st.markdown(f"**{tr('依頼全体への指摘', 'Notes on the whole request')}**")
            for n in view.general_notes:
                st.markdown(f"- {md(n.note)}" + (f" → {md(n.response)}" if n.response else ""))

        with st.expander(tr("履歴", "History")):
            st.dataframe(pd.DataFrame([{
                tr("日時", "When"): when(ctx, h.at), tr("変更前", "From"): label(REQUEST_STATE, h.from_state) or "—",
                tr("変更後", "To"): label(REQUEST_STATE, h.to_state), tr("実施者", "By"): h.actor,
                tr("メモ", "Note"): h.note,
            } for h in view.history]), hide_index=True, width="stretch")

        st.markdown(f"**{tr('確認', 'Review')}**")
        allowed = [a for a in ("request_changes", "accept", "reopen") if view.can(a)]
        if not may_review:
            st.info(tr("閲覧者は質問票の確認（差戻し・承認・再開）はできません。",
                       "Viewers cannot review questionnaires (return, accept, reopen)."), icon=":material/lock:")
        elif not allowed:
            st.caption(tr(f"「{label(REQUEST_STATE, view.state)}」の依頼には、確認の操作はありません。",
                          f"There is nothing to review in a request that is {label(REQUEST_STATE, view.state)}."))
        else:
            def _apply(action: actions.ReviewAction, **kwargs: object) -> None:
                try:
                    state = actions.review_request(ctx, action, view.request_id, **kwargs)  # type: ignore[arg-type]
                except VendorWatchError as error:
                    st.error(md(text(error.message)))
                else:
                    st.session_state["q_done"] = tr(f"依頼 #{view.request_id} を「{label(REQUEST_STATE, state)}」にしました。",
                                                    f"Request #{view.request_id} is now {label(REQUEST_STATE, state)}.")
                    st.rerun()

            tab_labels = {"request_changes": tr("差し戻す（設問ごとの指摘）", "Return with notes"),
                          "accept": tr("承認する", "Accept"), "reopen": tr("再開する", "Reopen")}
            tabs = dict(zip(allowed, st.tabs([tab_labels[a] for a in allowed]), strict=True))
            if "request_changes" in tabs:
                with tabs["request_changes"]:
                    numbers = {a.question_id: f"{a.number} {text(a.question)}" for a in view.answers}
                    flagged = [a.question_id for a in view.answers if a.contradiction]
                    chosen = st.multiselect(tr("指摘する設問", "Questions to annotate"), list(numbers),
                                            default=flagged, format_func=numbers.__getitem__,
                                            key=f"q_note_questions_{view.request_id}")
                    notes: dict[str | None, str] = {}
                    for question_id in chosen:
                        notes[question_id] = st.text_area(numbers[question_id], key=f"q_note_{view.request_id}_{question_id}",
                                                          max_chars=4000, height=68)
                    notes[None] = st.text_area(tr("依頼全体への指摘（任意）", "A note on the whole request (optional)"),
                                               key=f"q_note_general_{view.request_id}", max_chars=4000, height=80)
                    if st.button(tr("差し戻す", "Return"), key="q_return", type="primary"):
                        _apply("return", notes=notes)
            if "accept" in tabs:
                with tabs["accept"]:
                    if view.contradictions:
                        st.warning(tr(f"監視データと矛盾する回答が {view.contradictions} 件あります。"
                                      "承認する前に確認してください。",
                                      f"{view.contradictions} answer(s) are contradicted by the telemetry: check them "
                                      "before accepting."))
                    accept_note = st.text_input(tr("メモ（任意）", "Note (optional)"), key="q_accept_note",
                                                max_chars=1000)
                    if st.button(tr("承認する", "Accept"), key="q_accept", type="primary"):
                        _apply("accept", note=accept_note or None)
            if "reopen" in tabs:
                with tabs["reopen"]:
                    reason = st.text_input(tr("再開の理由（必須）", "Why it is reopened (required)"), key="q_reopen_reason",
                                           max_chars=1000)
                    if st.button(tr("再開する", "Reopen"), key="q_reopen", type="primary"):
                        _apply("reopen", note=reason)

st.subheader(tr("証跡文書と有効期限", "Evidence documents and their expiry"))
documents = data.documents_of(ctx)


def document_state(d: DocumentLine) -> str:
    """Valid, expiring soon, expired, superseded, or without an expiry."""
    if d.superseded:
        return tr("更新済み（後継あり）", "superseded")
    if d.days_left is None:
        return tr("有効期限なし", "no expiry")
    if d.expired:
        return tr(f"⚠ 期限切れ（{-d.days_left} 日前）", f"⚠ expired ({-d.days_left} days ago)")
    if d.days_left <= EXPIRY_WARNING_DAYS:
        return tr(f"まもなく期限（残り {d.days_left} 日）", f"expiring ({d.days_left} days left)")
    return tr(f"有効（残り {d.days_left} 日）", f"valid ({d.days_left} days left)")


if not documents:
    st.caption(tr("登録された証跡文書はありません（`vendorwatch evidence add`、または質問票への添付）。",
                  "No evidence documents registered (`vendorwatch evidence add`, or attached to a questionnaire)."))
else:
    st.dataframe(pd.DataFrame([{
        "#": d.document_id, tr("委託先", "Vendor"): vendor_name(d.vendor_id), tr("種類", "Kind"): text(d.kind_label),
        tr("表題", "Title"): d.title,
        tr("有効期間", "Valid"): (f"{d.valid_from.isoformat()} – " if d.valid_from else "〜 ")
        + (d.valid_until.isoformat() if d.valid_until else ""),
        tr("状態", "State"): document_state(d),
        tr("ファイル", "File"): f"{d.file.filename} ({size_text(d.file.size)})" if d.file else "",
        tr("登録", "Registered"): when(ctx, d.registered_at),
    } for d in documents]), hide_index=True, width="stretch")
    if may_download:
        with_files = [d for d in documents if d.file]
        if with_files:
            labels = {d.document_id: f"#{d.document_id} {vendor_name(d.vendor_id)} — {text(d.kind_label)} "
                                     f"({d.file.filename if d.file else ''})" for d in with_files}
            chosen_document = st.selectbox(tr("ダウンロードする文書", "Document to download"), list(labels),
                                           format_func=labels.__getitem__, key="q_document")
            document = next(d for d in with_files if d.document_id == chosen_document)
            assert document.file is not None
            download(ctx, document.file, key=f"q_document_file_{document.document_id}")
            st.caption(tr("ダウンロードは添付ファイルとして保存され、画面には表示しません。ダウンロードは監査ログに記録されます。",
                          "Downloads are saved as attachments, never shown in the page, and written to the audit log."))
    else:
        st.caption(tr("証跡ファイルのダウンロードは委託先管理担当と管理者だけができます。",
                      "Only vendor managers and administrators may download evidence files."))

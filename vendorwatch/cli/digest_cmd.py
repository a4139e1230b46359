"""``vendorwatch digest --month YYYY-MM``: produce the monthly risk digest, write it, mail it, or mail it again."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vendorwatch.cli.runtime import runtime
from vendorwatch.clock import local_time
from vendorwatch.errors import ConfigError
from vendorwatch.i18n import t


def _write(out: Path, name: str, content: str | bytes) -> Path:
    path = out / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def digest(
    month: Annotated[str | None, typer.Option("--month", help="対象月（既定: 先月） / YYYY-MM (default: last month)")] = None,
    out: Annotated[Path | None, typer.Option("--out", help="HTML・テキスト・PDF の書出し先フォルダ / "
                                                           "write the HTML, text and PDF into this folder")] = None,
    lang: Annotated[str | None, typer.Option("--lang", help="言語（既定: organization.digest.language） / "
                                                            "ja or en (default: organization.digest.language)")] = None,
    send_it: Annotated[bool, typer.Option("--send", help="organization.digest.recipients へ送付 / "
                                                         "mail it to organization.digest.recipients")] = False,
    resend: Annotated[bool, typer.Option("--resend", help="送付済みの月次報告を同じ内容で再送 / "
                                                          "mail the month's delivered digest again, byte for byte")] = False,
    actor: Annotated[str | None, typer.Option("--actor", help="作成者（監査ログ） / who produces it (audit log)")] = None,
) -> None:
    """月次リスクダイジェストを作成・送付 / Produce, write and mail the monthly risk digest."""
    from vendorwatch.digest.period import DigestMonth, due_month

    current = runtime()
    if lang is not None and lang not in ("ja", "en"):
        raise ConfigError(t(f"--lang は ja か en です: {lang}", f"--lang is ja or en: {lang}"))
    if send_it and resend:
        raise ConfigError(t("--send と --resend は同時に指定できません", "give --send or --resend, not both"))
    engine = current.ready_engine()
    registry = current.registry()
    zone = registry.organization.timezone
    # Imported here: rendering loads matplotlib and WeasyPrint, seconds that no other command should wait for.
    from vendorwatch.digest.deliver import mail_settings
    from vendorwatch.digest.service import produce, resend_month, send

    wanted = DigestMonth.parse(month) if month else due_month(current.clock.now(), zone)
    name = current.settings.actor_name(actor)
    console = current.console
    if resend:
        delivery = resend_month(engine, registry, wanted, current.clock, actor=name, language=lang)
        console.print(f"再送しました / sent again: {wanted} → {', '.join(delivery.accepted)} "
                      f"({delivery.response}) sha256 {delivery.raw_sha256[:16]}…", highlight=False, markup=False)
        if delivery.refused:
            console.print(f"拒否 / refused: {delivery.refused}", highlight=False, markup=False)
            raise typer.Exit(1)
        return
    if send_it:
        mail_settings(registry)  # a missing server or recipient list fails before anything is produced
    if out is not None:
        if out.exists() and not out.is_dir():
            raise ConfigError(t(f"--out {out} はフォルダではありません", f"--out {out} is not a folder"))
        out.mkdir(parents=True, exist_ok=True)
    produced = produce(engine, registry, wanted, current.clock, actor=name, language=lang)
    record = produced.record
    console.print(f"ダイジェスト {record.month} ({record.language}) 第 {record.revision} 版を保存しました / "
                  f"digest {record.month} ({record.language}) stored as revision {record.revision} (id {record.id})",
                  highlight=False, markup=False)
    console.print(f"  {record.subject}", highlight=False, markup=False)
    if record.provisional:
        console.print(f"  速報（{local_time(record.as_of, zone)} 時点、月の途中） / provisional: the month is not over",
                      highlight=False, markup=False)
    console.print(f"  PDF sha256 {record.pdf_sha256}", highlight=False, markup=False)
    console.print(f"  監査ログの基点 / audit anchor: {record.audit_entries} entries, {record.audit_head}",
                  highlight=False, markup=False)
    if out is not None:
        stem = f"vendorwatch-digest-{record.month}-{record.language}"
        for path in (_write(out, f"{stem}.html", produced.rendered.html), _write(out, f"{stem}.txt", produced.rendered.text),
                     _write(out, f"{stem}.pdf", produced.rendered.pdf)):
            console.print(f"  → {path}", highlight=False, markup=False)
    if send_it:
        delivery = send(engine, produced, registry, current.clock, actor=name)
        console.print(f"送付しました / delivered to {', '.join(delivery.accepted)} ({delivery.response})"
                      + (" S/MIME" if delivery.signed else ""), highlight=False, markup=False)
        if delivery.refused:
            console.print(f"拒否 / refused: {delivery.refused}", highlight=False, markup=False)
            raise typer.Exit(1)
    elif out is None:
        console.print("  --out DIR で書き出し、--send で送付します / write it with --out DIR, mail it with --send",
                      highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    """Add ``digest`` to the app."""
    app.command("digest")(digest)


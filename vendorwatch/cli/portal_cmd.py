"""``vendorwatch portal [--host --port --tls-cert --tls-key --trust-proxy]``: serve the vendor portal;
``vendorwatch portal invite|accounts|disable|enable``: contacts' portal accounts (every change audited)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from vendorwatch.cli.runtime import runtime
from vendorwatch.clock import local_time
from vendorwatch.errors import ConfigError
from vendorwatch.i18n import t
from vendorwatch.masking import mask_email

portal_app = typer.Typer(help="委託先ポータル / The vendor portal: serve it, invite contacts, manage their accounts.",
                         invoke_without_command=True)
Actor = Annotated[str | None, typer.Option("--actor", help="実行者（既定 VENDORWATCH_ACTOR または OS ユーザー） / "
                                                           "who acts (default VENDORWATCH_ACTOR or the OS user)")]


@portal_app.callback()
def portal(
    ctx: typer.Context,
    host: Annotated[str, typer.Option("--host", help="address to listen on / 待ち受けアドレス")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="port / ポート")] = 8600,
    tls_cert: Annotated[Path | None, typer.Option("--tls-cert", help="TLS certificate (PEM) / 証明書")] = None,
    tls_key: Annotated[Path | None, typer.Option("--tls-key", help="TLS private key (PEM) / 秘密鍵")] = None,
    trust_proxy: Annotated[bool | None, typer.Option(
        "--trust-proxy/--no-trust-proxy", help="X-Forwarded-Proto/-For を信頼（既定 VENDORWATCH_PORTAL_TRUST_PROXY）/ "
             "honour X-Forwarded-Proto/-For (default VENDORWATCH_PORTAL_TRUST_PROXY)"
    )] = None,
    forwarded_allow_ips: Annotated[str, typer.Option(
        "--forwarded-allow-ips", help="addresses of the trusted proxy / 信頼するプロキシ")] = "127.0.0.1",
    workers: Annotated[int, typer.Option("--workers", min=1, max=32,
                                         help="worker processes (PostgreSQL; keep 1 on SQLite) / プロセス数")] = 1,
) -> None:
    """委託先ポータルを起動 / Serve the vendor portal (Ctrl-C to stop)."""
    if ctx.invoked_subcommand is not None:
        return
    from questionnaires.portal.server import config_from, serve

    if (tls_cert is None) != (tls_key is None):
        raise ConfigError(t("--tls-cert と --tls-key は両方指定してください", "give both --tls-cert and --tls-key"))
    for path in (tls_cert, tls_key):
        if path is not None and not path.is_file():
            raise ConfigError(t(f"ファイルがありません: {path}", f"no such file: {path}"))
    current = runtime()
    current.ready_engine()
    current.registry()  # a clear error now rather than on the first page
    config = config_from(current.settings, current.url)
    scheme = "https" if tls_cert else "http"
    current.console.print(f"委託先ポータル / vendor portal: {scheme}://{host}:{port}/  (Ctrl-C で終了 / to stop)",
                          highlight=False, markup=False)
    serve(config, host=host, port=port, tls_cert=tls_cert, tls_key=tls_key,
          trust_proxy=current.settings.portal_trust_proxy if trust_proxy is None else trust_proxy,
          forwarded_allow_ips=forwarded_allow_ips, workers=workers)


@portal_app.command("invite")
def invite_command(
    contact: Annotated[str | None, typer.Argument(metavar="CONTACT", help="the contact's e-mail address")] = None,
    vendor: Annotated[str | None, typer.Option("--vendor", help="この委託先の全担当者（または CONTACT の担当者）/ "
                                                                "every contact of this vendor (or the one of CONTACT)")]
    = None,
    url: Annotated[str | None, typer.Option("--url", help="ポータルの公開 URL（既定 VENDORWATCH_PORTAL_URL）/ "
                                                          "the portal's public URL (default VENDORWATCH_PORTAL_URL)")]
    = None,
    actor: Actor = None,
) -> None:
    """招待メールを送信 / E-mail a single-use, expiring enrolment link to a contact (or every contact of a vendor)."""
    from questionnaires.portal.accounts import invite
    from questionnaires.portal.mailing import enrolment_link, send_invitation
    from questionnaires.portal.policy import PortalPolicy
    from vendorwatch.db.engine import session_scope

    current = runtime()
    base = url or current.settings.portal_url
    if not base:
        raise ConfigError(t("ポータルの公開 URL を --url か VENDORWATCH_PORTAL_URL で指定してください",
                            "give the portal's public URL with --url or VENDORWATCH_PORTAL_URL"))
    registry = current.registry()
    targets: list[tuple[str, str]] = []
    if contact is not None:
        owners = [v.id for v in registry.vendors if any(str(c.email).lower() == contact.strip().lower()
                                                         for c in v.contacts) and (vendor is None or v.id == vendor)]
        if not owners:
            raise ConfigError(t(f"{contact} は台帳のどの委託先の連絡先にもありません",
                                f"{contact} is not a contact of any vendor in the registry"))
        targets = [(owners[0], contact.strip().lower())]
    elif vendor is not None:
        try:
            chosen = registry.vendor(vendor)
        except KeyError:
            raise ConfigError(t(f"委託先 {vendor} は台帳にありません", f"vendor {vendor} is not in the registry")) from None
        targets = [(vendor, str(c.email).lower()) for c in chosen.contacts]
        if not targets:
            raise ConfigError(t(f"{vendor} には連絡先（contacts）がありません", f"{vendor} has no contacts"))
    else:
        raise ConfigError(t("CONTACT か --vendor を指定してください", "give CONTACT or --vendor"))
    who = current.settings.actor_name(actor)
    policy = PortalPolicy.from_settings(current.settings)
    for vendor_id, email in targets:
        with session_scope(current.ready_engine()) as session:  # the link is kept only if the e-mail went out
            invitation = invite(session, registry, vendor_id, email, actor_name=who, clock=current.clock, policy=policy)
            send_invitation(registry, email=email, name=invitation.account.name,
                            vendor_name=registry.vendor(vendor_id).name.ja, link=enrolment_link(base, invitation.token),
                            expires_at=invitation.expires_at, clock=current.clock)
            expires = local_time(invitation.expires_at, registry.organization.timezone)
        current.console.print(f"招待しました / invited: {mask_email(email)} ({vendor_id}), "
                              f"期限 / expires {expires}", highlight=False, markup=False)


@portal_app.command("accounts")
def accounts_command(vendor: Annotated[str | None, typer.Option("--vendor", help="委託先 ID / vendor id")] = None,
                     unmask: Annotated[bool, typer.Option("--unmask", help="アドレスを全桁表示 / show addresses in "
                                                                          "full")] = False) -> None:
    """ポータルのアカウント一覧 / Contacts' portal accounts: enrolled, passkeys, last sign-in, locked."""
    from vendorwatch.cli.choices import require_choice, vendor_ids
    from vendorwatch.db.engine import session_scope
    from vendorwatch.views.personal import Masker
    from vendorwatch.views.portal_contacts import portal_contacts

    current = runtime()
    registry = current.registry()
    zone = registry.organization.timezone
    every = vendor_ids(registry)
    if vendor is not None:
        require_choice("--vendor", vendor, every)  # an unknown vendor is a usage error (exit 2)
    chosen = [vendor] if vendor else every
    with session_scope(current.ready_engine()) as session:  # the dashboard's read model: one rule for both
        book = portal_contacts(session, registry, chosen, current.clock, Masker.for_registry(registry,
                                                                                                  masked=not unmask))
    for row in book.accounts:
        state = ("disabled" if row.disabled_at else "not in registry" if not row.in_registry
                 else "locked" if row.locked_until else {"enrolled": "enrolled", "pending": "invited",
                                                         "expired": "invitation expired"}.get(row.enrolment, "invited"))
        current.console.print(
            f"{row.vendor_id}  {row.email}  {state}  passkeys={row.passkeys}  "
            f"last sign-in {local_time(row.last_signin_at, zone) or '-'}  failures {book.failure_window.days} d="
            f"{row.failures}", highlight=False, markup=False)  # the safe console would show a tab as \t


def _set_disabled(email: str, *, disabled: bool, actor: str | None) -> None:
    from questionnaires.portal.accounts import set_disabled
    from vendorwatch.db.engine import session_scope

    current = runtime()
    with session_scope(current.ready_engine()) as session:
        set_disabled(session, email, disabled=disabled, actor_name=current.settings.actor_name(actor), clock=current.clock)
    word = ("無効化しました", "disabled") if disabled else ("有効化しました", "enabled")
    current.console.print(f"{word[0]} / {word[1]}: {mask_email(email)}", highlight=False, markup=False)


@portal_app.command("disable")
def disable_command(email: Annotated[str, typer.Argument(metavar="CONTACT")], actor: Actor = None) -> None:
    """アカウントを無効化 / Disable a contact's account (their sessions end)."""
    _set_disabled(email, disabled=True, actor=actor)


@portal_app.command("enable")
def enable_command(email: Annotated[str, typer.Argument(metavar="CONTACT")], actor: Actor = None) -> None:
    """アカウントを有効化 / Enable an account again (and lift a lockout)."""
    _set_disabled(email, disabled=False, actor=actor)


def register(app: typer.Typer) -> None:
    """Add ``portal`` to the app."""
    app.add_typer(portal_app, name="portal")

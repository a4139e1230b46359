"""The portal's two e-mails, in Japanese then English: the invitation (the only VendorWatch e-mail with a link)
and the one-time sign-in code (no link, so a forwarded or phished code mail leads nowhere)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from questionnaires.portal.accounts import PortalError
from vendorwatch.clock import Clock, local_time
from vendorwatch.i18n import t
from vendorwatch.mail.message import build_message
from vendorwatch.mail.send import Delivery, send_message
from vendorwatch.registry.models import MailSettings, Registry


def _mail(registry: Registry) -> MailSettings:
    if registry.organization.mail is None:
        raise PortalError(t("台帳の organization.mail（SMTP サーバ）が設定されていないため送信できません",
                            "cannot send: organization.mail (the SMTP server) is not configured in the registry"))
    return registry.organization.mail


def _signature(registry: Registry) -> str:
    name = registry.organization.name
    return f"\n--\n{name.ja}\n{name.en}\n（このメールは VendorWatch から自動送信しています / sent by VendorWatch）\n"


def enrolment_link(base_url: str, token: str) -> str:
    """The link of an invitation."""
    return f"{base_url.rstrip('/')}/enrol/{token}"


def send_invitation(registry: Registry, *, email: str, name: str | None, vendor_name: str, link: str,
                    expires_at: datetime, clock: Clock, environ: Mapping[str, str] | None = None) -> Delivery:
    """Mail an enrolment link to a contact."""
    mail = _mail(registry)
    org = registry.organization.name
    until = local_time(expires_at, registry.organization.timezone)
    person = name or email
    text = (
        f"{vendor_name} {person} 様\n\n"
        f"{org.ja}の委託先ポータルのアカウントをご用意しました。次のリンクを開き、パスキー（端末の生体認証・PIN）を"
        f"登録してください。リンクは 1 回だけ使え、{until} まで有効です。\n\n{link}\n\n"
        "お心当たりのない場合は、このメールを破棄してください。当社からリンク付きのメールをお送りするのは"
        "このご案内だけです。\n\n----\n\n"
        f"Dear {person} ({vendor_name}),\n\n"
        f"{org.en} has opened a vendor-portal account for you. Open the link below and register a passkey (your "
        f"device's biometrics or PIN). The link works once and expires at {until}.\n\n{link}\n\n"
        "If you did not expect this, delete this e-mail. This invitation is the only e-mail from us that carries a "
        "link.\n" + _signature(registry)
    )
    message = build_message(sender=str(mail.sender), sender_name=mail.sender_name, to=[email],
                            subject=f"【{org.ja}】委託先ポータルへのご招待 / Your vendor-portal invitation",
                            text=text, date=clock.now(), headers={"Auto-Submitted": "auto-generated"})
    return send_message(mail, message, clock=clock, environ=environ)


def send_code(registry: Registry, *, email: str, code: str, minutes: int, clock: Clock,
              environ: Mapping[str, str] | None = None) -> Delivery:
    """Mail a one-time sign-in code."""
    mail = _mail(registry)
    org = registry.organization.name
    text = (
        f"委託先ポータルのサインインコード: {code}\n\n{minutes} 分間有効です。サインイン画面に入力してください。"
        "お心当たりのない場合は入力せず、このメールを破棄してください。\n\n----\n\n"
        f"Your vendor-portal sign-in code: {code}\n\nIt is valid for {minutes} minutes. Enter it on the sign-in page. "
        "If you did not ask for it, do not enter it anywhere and delete this e-mail.\n" + _signature(registry)
    )
    message = build_message(sender=str(mail.sender), sender_name=mail.sender_name, to=[email],
                            subject=f"【{org.ja}】サインインコード / Sign-in code: {code}", text=text, date=clock.now(),
                            headers={"Auto-Submitted": "auto-generated"})
    return send_message(mail, message, clock=clock, environ=environ)

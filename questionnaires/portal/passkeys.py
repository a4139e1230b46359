"""Passkeys (WebAuthn, through Duo's ``webauthn`` package): registering one at enrolment, signing in with one.

A ceremony's challenge is kept in ``portal_tokens`` under the hash of the browser's binding value (a random
cookie of the sign-in page), so only that browser can finish it, once, within ``challenge_valid``. Passkeys are
discoverable credentials (the contact need not type an address) and user verification is required: the device's
PIN or biometrics, which makes a passkey a multi-factor sign-in on its own.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from sqlmodel import Session, col, select
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import InvalidAuthenticationResponse, InvalidRegistrationResponse
from webauthn.helpers.structs import (
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from questionnaires.contacts import passkey_counts, registry_in_force
from questionnaires.portal import tokens
from questionnaires.portal.accounts import (
    PortalError,
    SignInResult,
    refusal_for,
    refused,
    signed_in,
)
from questionnaires.portal.policy import PortalPolicy
from vendorwatch.clock import Clock
from vendorwatch.db.tables import PortalAccount, PortalCredential, PortalToken
from vendorwatch.i18n import t
from vendorwatch.registry.models import Registry


@dataclass(frozen=True)
class RelyingParty:
    """Who the passkeys belong to: the portal's origin and its host name (the WebAuthn RP id)."""

    origin: str
    name: str = "VendorWatch"

    @property
    def rp_id(self) -> str:
        """The host name of the origin."""
        return urlsplit(self.origin).hostname or "localhost"

    @classmethod
    def for_origin(cls, origin: str, name: str = "VendorWatch") -> RelyingParty:
        """From an origin such as ``https://portal.example.co.jp`` (path and query dropped)."""
        parts = urlsplit(origin)
        return cls(f"{parts.scheme}://{parts.netloc}", name)


def _challenge_row(session: Session, purpose: str, binding: str) -> PortalToken | None:
    return session.exec(select(PortalToken).where(PortalToken.token_hash == tokens.secret_hash(f"{purpose}:{binding}"))
                        ).first()


def _keep_challenge(session: Session, purpose: str, binding: str, challenge: bytes, account_id: int | None, *,
                    clock: Clock, policy: PortalPolicy) -> None:
    now = clock.now()
    row = _challenge_row(session, purpose, binding) or PortalToken(
        purpose=purpose, token_hash=tokens.secret_hash(f"{purpose}:{binding}"), created_at=now, expires_at=now)
    row.account_id = account_id
    row.challenge = bytes_to_base64url(challenge)
    row.created_at = now
    row.expires_at = now + policy.challenge_valid
    row.used_at = None
    session.add(row)
    session.flush()


def _take_challenge(session: Session, purpose: str, binding: str, *, clock: Clock) -> PortalToken | None:
    row = _challenge_row(session, purpose, binding) if binding else None
    if row is None or not tokens.is_usable(row, clock.now()) or row.challenge is None:
        return None
    row.used_at = clock.now()
    session.add(row)
    return row


def _credentials(session: Session, account_id: int) -> list[PortalCredential]:
    return list(session.exec(select(PortalCredential).where(PortalCredential.account_id == account_id,
                                                            col(PortalCredential.revoked_at).is_(None))))


def registration_options(session: Session, account: PortalAccount, rp: RelyingParty, *, binding: str, clock: Clock,
                         policy: PortalPolicy | None = None) -> str:
    """The options for ``navigator.credentials.create`` (JSON), remembering the challenge for this browser."""
    assert account.id is not None
    options = generate_registration_options(
        rp_id=rp.rp_id, rp_name=rp.name, user_name=account.email, user_display_name=account.name or account.email,
        user_id=account.user_handle.encode(),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.REQUIRED, user_verification=UserVerificationRequirement.REQUIRED),
        exclude_credentials=[PublicKeyCredentialDescriptor(id=base64url_to_bytes(c.credential_id))
                             for c in _credentials(session, account.id)],
    )
    _keep_challenge(session, "passkey_register", binding, options.challenge, account.id, clock=clock,
                    policy=policy or PortalPolicy())
    return options_to_json(options)


def register_passkey(session: Session, account: PortalAccount, rp: RelyingParty, credential: str | dict[str, Any], *,
                     binding: str, clock: Clock) -> PortalCredential:
    """Verify the browser's new credential against the remembered challenge and keep its public key."""
    row = _take_challenge(session, "passkey_register", binding, clock=clock)
    if row is None or row.account_id != account.id or row.challenge is None:
        raise PortalError(t("登録の手続きが期限切れです。もう一度お試しください", "the registration expired; please try again"))
    try:
        verified = verify_registration_response(
            credential=credential, expected_challenge=base64url_to_bytes(row.challenge), expected_rp_id=rp.rp_id,
            expected_origin=rp.origin, require_user_verification=True)
    except (InvalidRegistrationResponse, ValueError, KeyError, TypeError) as error:
        raise PortalError(t("パスキーを確認できませんでした", "the passkey could not be verified"),
                          details=[str(error)[:200]]) from None
    transports = []
    if isinstance(credential, str):
        credential = json.loads(credential)
    if isinstance(credential, dict):
        transports = [str(x) for x in (credential.get("response", {}) or {}).get("transports", []) or []][:8]
    assert account.id is not None
    stored = PortalCredential(account_id=account.id, credential_id=bytes_to_base64url(verified.credential_id),
                              public_key=bytes_to_base64url(verified.credential_public_key),
                              sign_count=verified.sign_count, transports=transports,
                              device_type=str(verified.credential_device_type.value),
                              backed_up=verified.credential_backed_up, created_at=clock.now())
    session.add(stored)
    session.flush()
    return stored


def authentication_options(session: Session, rp: RelyingParty, *, binding: str, clock: Clock,
                           policy: PortalPolicy | None = None) -> str:
    """The options for ``navigator.credentials.get`` (JSON, any discoverable passkey of this site)."""
    options = generate_authentication_options(rp_id=rp.rp_id, user_verification=UserVerificationRequirement.REQUIRED)
    _keep_challenge(session, "passkey_signin", binding, options.challenge, None, clock=clock,
                    policy=policy or PortalPolicy())
    return options_to_json(options)


def sign_in_with_passkey(session: Session, rp: RelyingParty, credential: str | dict[str, Any], *, binding: str,
                         clock: Clock, client: str | None, policy: PortalPolicy | None = None,
                         registry: Registry | None = None) -> SignInResult:
    """Verify an assertion; a failure is audited and counted like a wrong code."""
    rules = policy or PortalPolicy()
    try:
        body = json.loads(credential) if isinstance(credential, str) else dict(credential)
        credential_id = str(body.get("rawId") or body.get("id") or "")
    except (ValueError, TypeError, AttributeError):
        body, credential_id = {}, ""
    stored = session.exec(select(PortalCredential).where(PortalCredential.credential_id == credential_id,
                                                         col(PortalCredential.revoked_at).is_(None))).first() \
        if credential_id else None
    account = session.get(PortalAccount, stored.account_id) if stored is not None else None
    row = _take_challenge(session, "passkey_signin", binding, clock=clock)
    if stored is None or account is None:
        return refused(session, account=None, given="?", method="passkey", reason="unknown_credential", clock=clock,
                       client=client, policy=rules, extra={"credential": credential_id[:64]})
    reason = refusal_for(account, clock.now(), registry_in_force(session, registry))
    if reason is not None:
        return refused(session, account=account, given=account.email, method="passkey", reason=reason, clock=clock,
                       client=client, policy=rules)
    if row is None or row.challenge is None:
        return refused(session, account=account, given=account.email, method="passkey", reason="passkey_invalid",
                       clock=clock, client=client, policy=rules, extra={"why": "no or expired challenge"})
    try:
        verified = verify_authentication_response(
            credential=body, expected_challenge=base64url_to_bytes(row.challenge), expected_rp_id=rp.rp_id,
            expected_origin=rp.origin, credential_public_key=base64url_to_bytes(stored.public_key),
            credential_current_sign_count=stored.sign_count, require_user_verification=True)
    except (InvalidAuthenticationResponse, ValueError, KeyError, TypeError) as error:
        return refused(session, account=account, given=account.email, method="passkey", reason="passkey_invalid",
                       clock=clock, client=client, policy=rules, extra={"why": str(error)[:200]})
    stored.sign_count = verified.new_sign_count
    stored.last_used_at = clock.now()
    session.add(stored)
    return signed_in(session, account, method="passkey", clock=clock, client=client,
                     extra={"credential": stored.id})


def has_passkey(session: Session, account_id: int) -> bool:
    """Whether the account has a passkey in force."""
    return passkey_counts(session, [account_id]).get(account_id, 0) > 0

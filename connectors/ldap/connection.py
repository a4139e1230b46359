"""Reaching a vendor directory: TLS that is always verified, a read-only service account, timeouts, and
every failure turned into one bilingual ``SourceError`` the collection run can record.

Certificates are checked against the registry's ``ca_file`` (or the system store when none is named); there is
no switch to turn verification off. The password is read from the environment variable the registry names and
is never logged or stored.
"""

from __future__ import annotations

import os
import re
import ssl
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ldap3 import BASE, NONE, SUBTREE, Connection, Server, Tls
from ldap3.core import exceptions as ldap_errors
from ldap3.core.results import RESULT_REFERRAL, RESULT_SIZE_LIMIT_EXCEEDED, RESULT_TIME_LIMIT_EXCEEDED

from connectors.ldap.values import RawAttributes, lower_keys
from vendorwatch.errors import ConfigError, SourceError
from vendorwatch.i18n import t
from vendorwatch.registry.models import LdapSource

_TLS_HINTS = ("certificate", "ssl", "tls", "handshake", "wrong version number")
#: An attribute sent in part, as AD sends a multi-valued attribute with more values than its MaxValRange
#: (1,500 by default): ``member;range=0-1499``, then ``member;range=1500-2999`` ... and ``member;range=3000-*``.
_RANGED = re.compile(r"^(?P<name>.+?);range=(?P<low>\d+)-(?P<high>\d+|\*)$", re.IGNORECASE)
#: Follow-up reads of one ranged attribute before giving up (1,500 values each: 15 million values).
_MAX_RANGE_READS = 10_000


@dataclass(frozen=True)
class Entry:
    """One directory entry: its DN and its raw attribute values, names in lower case."""

    dn: str
    attributes: dict[str, Sequence[bytes]]


def read_password(source: LdapSource, environ: Mapping[str, str] | None = None) -> str:
    """The service account's password from the variable ``password_env`` names; ``ConfigError`` if unset."""
    value = (os.environ if environ is None else environ).get(source.password_env)
    if not value:
        raise ConfigError(t(
            f"ソース {source.id}: 環境変数 {source.password_env} にサービスアカウントのパスワードが設定されていません",
            f"source {source.id}: the service account password is not set in environment variable "
            f"{source.password_env}",
        ))
    return value


def _tls(source: LdapSource) -> Tls:
    if source.ca_file and not Path(source.ca_file).is_file():
        raise ConfigError(t(
            f"ソース {source.id}: CA 証明書ファイル {source.ca_file} が見つかりません",
            f"source {source.id}: the CA certificate file {source.ca_file} does not exist",
        ))
    # CERT_REQUIRED always: a directory reached without a verified certificate could be anyone's.
    return Tls(validate=ssl.CERT_REQUIRED, ca_certs_file=source.ca_file, version=ssl.PROTOCOL_TLS_CLIENT)


def _describe(error: BaseException) -> str:
    """The error text with the socket-level history ldap3 keeps, without any credential (ldap3 puts none)."""
    parts = [str(error)]
    history = getattr(error, "args", ())
    for item in history:
        if isinstance(item, list | tuple):
            parts.extend(str(x) for x in item)
    cause = error.__cause__ or error.__context__
    if cause is not None:
        parts.append(str(cause))
    return " ".join(parts)[:1000]


def source_error(source: LdapSource, error: BaseException, doing: str) -> SourceError:
    """Translate an ldap3 exception into one clear bilingual error about the source."""
    detail = _describe(error)
    where = f"{source.id} ({source.url})"
    lowered = detail.lower()
    if isinstance(error, ldap_errors.LDAPStartTLSError) or (
        isinstance(error, ldap_errors.LDAPSocketOpenError) and any(h in lowered for h in _TLS_HINTS)
    ):
        message = t(
            f"{where}: TLS 接続を確立できません（証明書を CA {source.ca_file or 'システム既定'} で検証できないか、"
            "TLS に対応していません）。検証を無効にすることはできません",
            f"{where}: could not establish TLS (the certificate does not verify against CA "
            f"{source.ca_file or 'system default'}, or the server does not speak TLS); verification cannot be "
            "turned off",
        )
    elif isinstance(error, ldap_errors.LDAPInvalidCredentialsResult | ldap_errors.LDAPBindError):
        message = t(
            f"{where}: サービスアカウント {source.bind_dn} のバインドが拒否されました（パスワード、ロック、"
            "または権限を確認してください）",
            f"{where}: the server refused the bind of service account {source.bind_dn} (check the password, "
            "whether it is locked, and its rights)",
        )
    elif isinstance(error, ldap_errors.LDAPSizeLimitExceededResult):
        message = t(
            f"{where}: {doing} がサーバーのサイズ制限を超えました。サービスアカウントにページ検索の上限解除"
            "（olcLimits size.prtotal=unlimited / AD の MaxPageSize）を設定してください",
            f"{where}: {doing} exceeded the server's size limit; give the service account unlimited paged "
            "results (olcLimits size.prtotal=unlimited / AD MaxPageSize)",
        )
    elif isinstance(error, ldap_errors.LDAPReferralResult | ldap_errors.LDAPReferralError):
        message = t(
            f"{where}: {doing} は別のサーバーへの参照（referral）を返しました。参照先は自動では追いません。"
            "base_dn を確認するか、参照先を別のソースとして登録してください",
            f"{where}: {doing} was answered with a referral to another server; referrals are not followed. "
            "Check base_dn or register the other server as its own source",
        )
    elif isinstance(error, ldap_errors.LDAPResponseTimeoutError | ldap_errors.LDAPSocketReceiveError):
        message = t(
            f"{where}: {doing} の応答が {source.timeout_seconds} 秒以内にありませんでした",
            f"{where}: no answer to {doing} within {source.timeout_seconds} s",
        )
    elif isinstance(error, ldap_errors.LDAPSocketOpenError | ldap_errors.LDAPSocketSendError
                    | ldap_errors.LDAPSocketCloseError):
        message = t(
            f"{where}: サーバーに接続できません（停止中、ファイアウォール、または URL の誤り）",
            f"{where}: the server cannot be reached (down, blocked by a firewall, or a wrong URL)",
        )
    else:
        message = t(f"{where}: {doing} に失敗しました", f"{where}: {doing} failed")
    return SourceError(message, details=[detail])


@contextmanager
def translated(source: LdapSource, doing: str) -> Iterator[None]:
    """Run a block and turn any LDAP failure in it into a ``SourceError``."""
    try:
        yield
    except ldap_errors.LDAPException as error:
        raise source_error(source, error, doing) from error


class Directory:
    """A bound, read-only connection to one source's directory."""

    def __init__(self, source: LdapSource, connection: Connection) -> None:
        self.source = source
        self.connection = connection

    def paged(self, base: str, search_filter: str, attributes: list[str], doing: str) -> Iterator[Entry]:
        """Every entry under ``base`` matching the filter, read page by page (RFC 2696).

        An entry with a ranged attribute (AD's ``member;range=0-1499``) is completed after the last page, by
        follow-up reads of that entry (:meth:`complete_ranges`): reading in between would replace the result
        of the paged search that ``_check_result`` judges.
        """
        partial: list[Entry] = []
        with translated(self.source, doing):
            results = self.connection.extend.standard.paged_search(
                search_base=base, search_filter=search_filter, search_scope=SUBTREE, attributes=attributes,
                paged_size=self.source.page_size, generator=True,
            )
            for item in results:
                entry = self._entry(item, doing)
                if any(";range=" in name for name in entry.attributes):
                    partial.append(entry)
                else:
                    yield entry
        self._check_result(doing)
        for entry in partial:
            yield self.complete_ranges(entry, doing)

    def complete_ranges(self, entry: Entry, doing: str) -> Entry:
        """The entry with every ranged attribute read to its end (``name;range=low-high`` → ``name``).

        A domain controller sends at most MaxValRange values of an attribute per read and names the part it
        sent; the next part is asked for with ``name;range=<high+1>-*`` on the entry itself, until a part ends
        in ``*``. ldap3's own ``auto_range`` is off (see :func:`connect`): in ldap3 2.9.1
        (``BaseStrategy.do_next_range_search``) a follow-up search that returns no entry ends the loop with the
        values it has, and one that returns the entry without a ranged attribute raises ``IndexError`` (not an
        LDAP error); its MOCK strategies skip it altogether, so it cannot be tested here. A group read in part
        would lose members without a word; here a missing part is an error of the run.
        """
        attributes = dict(entry.attributes)
        for key in [k for k in attributes if ";range=" in k]:
            match = _RANGED.match(key)
            if match is None:
                continue
            name = match["name"]
            values = list(attributes.get(name) or []) + list(attributes.pop(key))
            high = match["high"]
            reads = 0
            while high != "*":
                reads += 1
                start = int(high) + 1
                part = self._read_range(entry.dn, name, start, doing)
                if part is None or reads > _MAX_RANGE_READS:
                    raise source_error(self.source, ldap_errors.LDAPException(
                        f"{entry.dn}: {name};range={start}-* was not returned after {len(values)} values; the "
                        "attribute would be incomplete"), doing)
                part_values, high = part
                values.extend(part_values)
            attributes[name] = values
        return Entry(dn=entry.dn, attributes=attributes)

    def _read_range(self, dn: str, name: str, start: int, doing: str) -> tuple[list[bytes], str] | None:
        """The next part of a ranged attribute: its values and the high end of the part (``*`` at the end)."""
        with translated(self.source, doing):
            self.connection.search(dn, "(objectClass=*)", search_scope=BASE, attributes=[f"{name};range={start}-*"])
        for item in self.connection.response or []:
            raw = lower_keys(item.get("raw_attributes") or {})
            for key, values in raw.items():
                match = _RANGED.match(key)
                if match and match["name"] == name and int(match["low"]) == start:
                    return list(values), match["high"]
            if raw.get(name):  # a server may send the rest whole
                return list(raw[name]), "*"
        return None

    def read(self, dn: str, attributes: list[str], doing: str, search_filter: str = "(objectClass=*)") -> Entry | None:
        """One entry by DN, or ``None`` if it does not exist."""
        with translated(self.source, doing):
            try:
                self.connection.search(dn, search_filter, search_scope=BASE, attributes=attributes)
            except ldap_errors.LDAPNoSuchObjectResult:
                return None
            self._check_result(doing)
            for item in self.connection.response or []:
                return self.complete_ranges(self._entry(item, doing), doing)
        return None

    def _check_result(self, doing: str) -> None:
        """ldap3 does not raise for a size limit, time limit or referral result: the entries would silently be
        incomplete. Turn them into errors."""
        result = self.connection.result or {}
        code = result.get("result")
        if code == RESULT_SIZE_LIMIT_EXCEEDED:
            error: ldap_errors.LDAPException = ldap_errors.LDAPSizeLimitExceededResult(
                result=code, description=result.get("description"), message=result.get("message"))
        elif code == RESULT_TIME_LIMIT_EXCEEDED:
            error = ldap_errors.LDAPResponseTimeoutError(f"server time limit exceeded: {result.get('message')}")
        elif code == RESULT_REFERRAL:
            error = ldap_errors.LDAPReferralError(", ".join(result.get("referrals") or []))
        else:
            return
        raise source_error(self.source, error, doing)

    def search(self, base: str, search_filter: str, attributes: list[str], doing: str) -> list[Entry]:
        """A small subtree search in one request (for policies and the access log's newest entries)."""
        return list(self.paged(base, search_filter, attributes, doing))

    def _entry(self, item: dict[str, Any], doing: str) -> Entry:
        if item.get("type") == "searchResRef":
            raise source_error(self.source, ldap_errors.LDAPReferralError(", ".join(item.get("uri") or [])), doing)
        raw: RawAttributes = item.get("raw_attributes") or {}
        return Entry(dn=str(item.get("dn", "")), attributes=lower_keys(raw))

    def close(self) -> None:
        """Unbind; errors on the way out do not matter any more."""
        with suppress(ldap_errors.LDAPException):
            self.connection.unbind()


def connect(source: LdapSource, password: str) -> Directory:
    """Open, secure (LDAPS or StartTLS) and bind; raises ``SourceError`` with what went wrong."""
    parts = urlsplit(source.url)
    use_ssl = parts.scheme == "ldaps"
    host = parts.hostname or ""
    port = parts.port or (636 if use_ssl else 389)
    server = Server(host, port=port, use_ssl=use_ssl, tls=_tls(source), get_info=NONE,
                    connect_timeout=source.timeout_seconds)
    connection = Connection(server, user=source.bind_dn, password=password, read_only=True,
                            raise_exceptions=True, auto_referrals=False, receive_timeout=source.timeout_seconds,
                            return_empty_attributes=False, auto_range=False)  # ranges: Directory.complete_ranges
    with translated(source, "connect"):
        connection.open()
        if not use_ssl:
            # The registry refuses ldap:// without start_tls, so this always upgrades before the bind.
            connection.start_tls()
        connection.bind()
    return Directory(source, connection)

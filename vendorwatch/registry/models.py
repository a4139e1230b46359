"""Pydantic models of ``vendorwatch.yaml``; ``shared/examples/vendorwatch.yaml`` is the format contract.

Fields may be added here, none renamed. Every model forbids unknown fields so a typo is an error, not a
silently ignored setting. Names ending in ``_env`` name an environment variable; no secret is ever stored.
"""

from __future__ import annotations

import ipaddress
import re
from datetime import date, datetime, time
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    model_validator,
)
from pydantic_core import PydanticCustomError

from vendorwatch.i18n import Text

SLUG = r"^[a-z0-9][a-z0-9_-]{0,62}$"
Slug = Annotated[str, Field(pattern=SLUG)]
Weekday = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAYS: tuple[str, ...] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")


def bilingual_error(ja: str, en: str, **values: object) -> PydanticCustomError:
    """A validation error whose message exists in both languages (read back by the loader)."""
    return PydanticCustomError("vendorwatch", en, {"ja": ja.format(**values), **values})


def _check_cidr(value: str) -> str:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise bilingual_error(
            "CIDR 表記のネットワークではありません: {value}",
            "not a network in CIDR notation: {value}",
            value=value,
        ) from None
    return value


def _check_hhmm(value: str) -> str:
    if not _HHMM.match(value):
        raise bilingual_error(
            "時刻は HH:MM 形式（00:00〜24:00）で指定してください: {value}",
            "time must be HH:MM between 00:00 and 24:00: {value}",
            value=value,
        )
    return value


def _check_timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise bilingual_error(
            "不明なタイムゾーンです: {value}（例: Asia/Tokyo）",
            "unknown time zone: {value} (for example Asia/Tokyo)",
            value=value,
        ) from None
    return value


def _check_env_name(value: str) -> str:
    if not _ENV_NAME.match(value):
        # Never repeat the value: what is written where a name belongs is often the secret itself.
        raise bilingual_error(
            "環境変数の名前（英字・数字・_、先頭は数字以外）を書きます。値は表示しません（秘密情報かもしれないため）",
            "write the name of an environment variable here (letters, digits and _, not starting with a digit); "
            "the value is not shown, it may be a secret",
        )
    return value


def _check_account_id(value: str) -> str:
    if not _ACCOUNT_ID.match(value):
        raise bilingual_error(
            "AWS アカウント ID は 12 桁の数字で、引用符で囲んで書きます: {value}",
            "an AWS account id is 12 digits, written in quotes: {value}",
            value=value,
        )
    return value


Cidr = Annotated[str, AfterValidator(_check_cidr)]
HHMM = Annotated[str, AfterValidator(_check_hhmm)]
TimeZoneName = Annotated[str, AfterValidator(_check_timezone)]
EnvName = Annotated[str, AfterValidator(_check_env_name)]
AccountId = Annotated[str, AfterValidator(_check_account_id)]


class Strict(BaseModel):
    """Base of every registry model: unknown fields are errors."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Name(Strict):
    """A name in Japanese and English."""

    ja: str = Field(min_length=1)
    en: str = Field(min_length=1)

    @model_validator(mode="before")
    @classmethod
    def _rejoin_unquoted_commas(cls, data: object) -> object:
        """``{en: Example Co., Ltd.}`` in flow style splits at the comma into ``en`` and a key ``Ltd.``.

        The format contract writes names that way, so a key with no value that follows a name is taken
        back as the rest of that name.
        """
        if not isinstance(data, dict):
            return data
        joined: dict[str, object] = {}
        last: str | None = None
        for key, value in data.items():
            if value is None and last in ("ja", "en") and key not in ("ja", "en"):
                joined[last] = f"{joined[last]}, {key}"
                continue
            joined[key] = value
            last = key if isinstance(value, str) else None
        return joined

    def text(self) -> Text:
        """As a bilingual text."""
        return Text(ja=self.ja, en=self.en)


class ResolutionDays(Strict):
    """How many days a finding of each severity may stay unresolved before it is overdue (the digest escalates
    critical findings past theirs to the board, DESIGN 3.2.6). ``None``: no deadline."""

    critical: int | None = Field(default=7, ge=1, le=3650)
    high: int | None = Field(default=30, ge=1, le=3650)
    medium: int | None = Field(default=90, ge=1, le=3650)
    low: int | None = Field(default=180, ge=1, le=3650)
    info: int | None = Field(default=None, ge=1, le=3650)

    def for_severity(self, severity: str) -> int | None:
        """The deadline in days of a severity (``None`` for none or an unknown severity)."""
        value = getattr(self, severity, None)
        return value if isinstance(value, int) else None


class DigestSettings(Strict):
    """Who receives the monthly risk digest, in which language, by when, and the deadlines it reports against."""

    recipients: list[EmailStr] = Field(default_factory=list)
    language: Literal["ja", "en"] = "ja"
    deliver_by_day: int = Field(default=5, ge=1, le=28,
                                description="a month's digest is delivered by this day of the following month")
    resolution_days: ResolutionDays = Field(default_factory=ResolutionDays)
    acceptance_warning_days: int = Field(default=30, ge=1, le=365,
                                         description="risk acceptances expiring within this many days are flagged")
    top_vendors: int = Field(default=5, ge=1, le=50, description="vendors shown in the digest's highest-risk list")


class SmimeSettings(Strict):
    """An S/MIME signing certificate for the firm's outgoing mail (PEM files; the key's password from the environment)."""

    certificate_file: str = Field(min_length=1)
    key_file: str = Field(min_length=1)
    key_password_env: EnvName | None = None


class MailSettings(Strict):
    """The SMTP server the firm sends its mail through (digest, reminders, alerts, sign-in codes)."""

    host: str = Field(min_length=1)
    port: int = Field(default=587, ge=1, le=65535)
    security: Literal["starttls", "tls", "none"] = "starttls"
    username: str | None = None
    password_env: EnvName | None = None
    sender: EmailStr
    sender_name: str | None = None
    ca_file: str | None = Field(default=None, description="CA bundle for a server with a private certificate")
    timeout_seconds: int = Field(default=30, ge=1, le=600)
    smime: SmimeSettings | None = None

    @model_validator(mode="after")
    def _credentials_need_encryption(self) -> MailSettings:
        if self.security == "none" and (self.username or self.password_env):
            raise bilingual_error(
                "security: none では認証情報を送れません（starttls か tls を指定してください）",
                "credentials are never sent without encryption: use security starttls or tls",
            )
        if self.password_env and not self.username:
            raise bilingual_error("password_env は username と一緒に指定します", "password_env goes with username")
        return self


class AlertSettings(Strict):
    """Who is mailed at once when a critical finding opens or a source falls past its collection SLA."""

    recipients: list[EmailStr] = Field(default_factory=list)


class Organization(Strict):
    """The securities firm that runs VendorWatch."""

    name: Name
    timezone: TimeZoneName = "Asia/Tokyo"
    # How long a risk may be accepted at most (``finding accept --until``); three years unless the firm says less.
    max_risk_acceptance_days: int = Field(default=1095, ge=1, le=3650)
    digest: DigestSettings = Field(default_factory=DigestSettings)
    mail: MailSettings | None = None
    alerts: AlertSettings = Field(default_factory=AlertSettings)


class Contract(Strict):
    """The outsourcing contract; any use after ``end`` is a finding."""

    id: str = Field(min_length=1)
    start: date
    end: date | None = None

    @model_validator(mode="after")
    def _end_after_start(self) -> Contract:
        if self.end is not None and self.end < self.start:
            raise bilingual_error(
                "契約終了日 {end} が開始日 {start} より前です",
                "contract end {end} is before its start {start}",
                end=self.end.isoformat(),
                start=self.start.isoformat(),
            )
        return self


class Contact(Strict):
    """A person at the vendor the firm writes to (questionnaires, reminders)."""

    name: str = Field(min_length=1)
    email: EmailStr
    phone: str | None = None


class RosterMember(Strict):
    """A person working for the firm at a vendor, with the identities they use and their dates."""

    person: str = Field(min_length=1)
    name: str = Field(min_length=1)
    since: date
    until: date | None = None
    identities: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _until_after_since(self) -> RosterMember:
        if self.until is not None and self.until < self.since:
            raise bilingual_error(
                "担当終了日 {until} が開始日 {since} より前です",
                "until {until} is before since {since}",
                until=self.until.isoformat(),
                since=self.since.isoformat(),
            )
        return self

    def active_on(self, day: date) -> bool:
        """Whether the person is on the assignment on that day."""
        return self.since <= day and (self.until is None or day <= self.until)


def _all_weekdays() -> list[Weekday]:
    return ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class HoursWindow(Strict):
    """Allowed hours: weekdays and a daily window in the organization's time zone."""

    days: list[Weekday] = Field(default_factory=_all_weekdays, min_length=1)
    start: HHMM = "00:00"
    end: HHMM = "24:00"

    @model_validator(mode="after")
    def _non_empty(self) -> HoursWindow:
        if self.start == self.end:
            raise bilingual_error(
                "開始時刻と終了時刻が同じです: {start}",
                "start and end are the same time: {start}",
                start=self.start,
            )
        return self

    def contains(self, weekday: int, moment: time) -> bool:
        """Whether a local weekday (0 = Monday) and time fall in the window; windows may cross midnight."""
        start = _parse_hhmm(self.start)
        end = _parse_hhmm(self.end)
        day = WEEKDAYS[weekday]
        if start < end:
            return day in self.days and start <= moment < end
        # Overnight window, e.g. 22:00-06:00: the early part belongs to the previous day's window.
        if moment >= start:
            return day in self.days
        previous = WEEKDAYS[(weekday - 1) % 7]
        return previous in self.days and moment < end


def _parse_hhmm(value: str) -> time:
    if value == "24:00":
        return time.max
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


class DeclaredAccount(Strict):
    """A non-personal principal the vendor declared, with the person who owns it."""

    principal: str = Field(min_length=1)
    kind: Literal["service", "break_glass"]
    owner: str = Field(min_length=1)
    allowed_hours: Literal["any"] | HoursWindow | None = None
    allowed_networks: list[Cidr] | None = None
    description: str | None = None


class Bucket(Strict):
    """An S3 bucket of an environment and the class of data it holds."""

    name: str = Field(pattern=r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")
    data_class: Literal["customer", "confidential", "internal", "test", "public"]


class Directory(Strict):
    """Where an environment's accounts live in a directory."""

    base_dn: str = Field(min_length=3)


class Environment(Strict):
    """A production, staging or development environment of a vendor."""

    id: Slug
    kind: Literal["production", "staging", "development"]
    aws_accounts: list[AccountId] = Field(default_factory=list)
    buckets: list[Bucket] = Field(default_factory=list)
    directory: Directory | None = None
    allowed_networks: list[Cidr] | None = None
    allowed_hours: HoursWindow | None = None


class Schedule(Strict):
    """When a source is collected: a cron expression or a fixed interval."""

    cron: str | None = None
    interval_minutes: int | None = Field(default=None, ge=1, le=7 * 24 * 60)

    @model_validator(mode="after")
    def _exactly_one(self) -> Schedule:
        if (self.cron is None) == (self.interval_minutes is None):
            raise bilingual_error(
                "cron か interval_minutes のどちらか一方を指定してください",
                "give exactly one of cron or interval_minutes",
            )
        if self.cron is not None and len(self.cron.split()) != 5:
            raise bilingual_error(
                "cron 式は 5 つの項目（分 時 日 月 曜日）で書きます: {cron}",
                "a cron expression has five fields (minute hour day month weekday): {cron}",
                cron=self.cron,
            )
        return self


class CloudTrailLocation(Strict):
    """Where a trail delivers its log files."""

    bucket: str = Field(min_length=3)
    prefix: str = ""
    account_id: AccountId | None = None
    digest: bool = True


class SourceBase(Strict):
    """What every source has: identity, environment, schedule and freshness SLA."""

    id: Slug
    environment: str
    schedule: Schedule | None = None
    sla_hours: int = Field(default=24, ge=1)


class AwsSource(SourceBase):
    """A vendor AWS account, reached through a profile or a role assumed with an external id."""

    kind: Literal["aws"]
    role_arn: str | None = Field(default=None, pattern=r"^arn:aws[a-z-]*:iam::\d{12}:role/.+$")
    external_id_env: EnvName | None = None
    profile: str | None = None
    regions: list[str] = Field(default_factory=lambda: ["ap-northeast-1"], min_length=1)
    endpoint_url: str | None = None
    cloudtrail: CloudTrailLocation | None = None
    lookup_events: bool = True

    @model_validator(mode="after")
    def _one_way_in(self) -> AwsSource:
        if self.role_arn and self.profile:
            raise bilingual_error(
                "role_arn と profile は同時に指定できません",
                "give role_arn or profile, not both",
            )
        if self.external_id_env and not self.role_arn:
            raise bilingual_error(
                "external_id_env は role_arn と一緒に指定します",
                "external_id_env goes with role_arn",
            )
        return self


class LdapSource(SourceBase):
    """A vendor directory (OpenLDAP or Active Directory), read with a service account."""

    kind: Literal["ldap"]
    url: str = Field(pattern=r"^ldaps?://[^\s/]+(:\d+)?/?$")
    flavor: Literal["openldap", "active_directory"] = "openldap"
    bind_dn: str = Field(min_length=3)
    password_env: EnvName
    ca_file: str | None = None
    start_tls: bool = False
    base_dn: str | None = None
    privileged_groups: list[str] = Field(default_factory=list)
    accesslog_base: str | None = None
    stats_log: str | None = None
    stats_log_timezone: TimeZoneName = Field(
        default="UTC", description="zone of syslog-style stats log lines that carry no offset"
    )
    page_size: int = Field(default=500, ge=1, le=5000)
    timeout_seconds: int = Field(default=30, ge=1, le=600)

    @model_validator(mode="after")
    def _tls_verified(self) -> LdapSource:
        if self.url.startswith("ldap://") and not self.start_tls:
            raise bilingual_error(
                "ldap:// では start_tls: true が必要です（平文で認証情報を送らないため）",
                "ldap:// needs start_tls: true (credentials are never sent in clear)",
            )
        return self


class FilesSource(SourceBase):
    """Logs the firm receives as files (exports, SIEM dumps), read with ``vendorwatch import``."""

    kind: Literal["files"]
    path: str | None = None
    format: Literal["cloudtrail", "slapd_stats"] = "cloudtrail"
    settle_seconds: int = Field(
        default=60, ge=0, le=24 * 3600,
        description="a file modified more recently than this is still being delivered and is read next time",
    )


Source = Annotated[AwsSource | LdapSource | FilesSource, Field(discriminator="kind")]


class Vendor(Strict):
    """An outsourced or sub-outsourced vendor (``parent`` names the vendor it works for)."""

    id: Slug
    parent: str | None = None
    name: Name
    tier: Literal["critical", "high", "medium", "low"]
    handles_customer_data: bool
    services: list[str] = Field(default_factory=list)
    contract: Contract | None = None
    contacts: list[Contact] = Field(default_factory=list)
    roster: list[RosterMember] = Field(default_factory=list)
    accounts: list[DeclaredAccount] = Field(default_factory=list)
    environments: list[Environment] = Field(default_factory=list)
    sources: list[Source] = Field(default_factory=list)
    checks: dict[str, dict[str, int | float | str | bool | list[str]]] = Field(default_factory=dict)


class TransferWindow(Strict):
    """When an approved transfer may happen; times carry their offset."""

    start: datetime
    end: datetime

    @model_validator(mode="after")
    def _ordered(self) -> TransferWindow:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise bilingual_error(
                "日時にはタイムゾーン（例: +09:00）を付けてください",
                "times need a UTC offset (for example +09:00)",
            )
        if self.end <= self.start:
            raise bilingual_error(
                "終了日時が開始日時より前です",
                "the window ends before it starts",
            )
        return self


class TransferApproval(Strict):
    """An approved transfer of data between two environments of a vendor (control 3.2.4)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    id: str = Field(min_length=1)
    vendor: str
    from_: str = Field(alias="from")
    to: str
    resources: list[str] = Field(min_length=1)
    window: TransferWindow
    purpose: str = Field(min_length=1)
    approved_by: str = Field(min_length=1)
    accounts: list[AccountId] = Field(
        default_factory=list, description="outside AWS accounts a resource policy may grant under this approval")


class ChangeApproval(Strict):
    """An approved change to a vendor's privileges: an administrator policy attached for a planned task."""

    id: str = Field(min_length=1)
    vendor: str
    targets: list[str] = Field(min_length=1, description="user, role or group names or ARNs; * and ? wildcards")
    window: TransferWindow
    purpose: str = Field(min_length=1)
    approved_by: str = Field(min_length=1)


class Registry(Strict):
    """The whole ``vendorwatch.yaml``."""

    version: Literal[1]
    organization: Organization
    vendors: list[Vendor] = Field(default_factory=list)
    transfers: list[TransferApproval] = Field(default_factory=list)
    changes: list[ChangeApproval] = Field(default_factory=list)

    def vendor(self, vendor_id: str) -> Vendor:
        """The vendor with that id; ``KeyError`` if there is none."""
        for vendor in self.vendors:
            if vendor.id == vendor_id:
                return vendor
        raise KeyError(vendor_id)

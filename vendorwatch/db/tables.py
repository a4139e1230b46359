"""SQLModel tables. Registry tables mirror ``vendorwatch.yaml``; the rest is evidence and its judgement.

Nothing here is deleted by the product: registry rows are retired (``retired_at``), inventory rows are
marked gone by the run that noticed (``gone_at``/``gone_run_id``), the audit log only grows.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Column, Float, Index, LargeBinary, Text, Unicode, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from vendorwatch.db.types import JSONType, UTCDateTime


def utc_column(*, nullable: bool = True, index: bool = False) -> Any:
    """A UTC timestamp column."""
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


def json_column(default: Any = None) -> Any:
    """A JSON column (JSONB on PostgreSQL)."""
    factory = (lambda: type(default)()) if isinstance(default, list | dict) else None
    if factory is not None:
        return Field(default_factory=factory, sa_column=Column(JSONType, nullable=False))
    return Field(default=None, sa_column=Column(JSONType, nullable=True))


# --- registry -------------------------------------------------------------------------------------------


class Vendor(SQLModel, table=True):
    """An outsourced vendor or, with ``parent_id``, a sub-vendor."""

    __tablename__ = "vendors"

    id: str = Field(primary_key=True, max_length=63)
    parent_id: str | None = Field(default=None, foreign_key="vendors.id", index=True)
    name_ja: str
    name_en: str
    tier: str = Field(max_length=16)
    handles_customer_data: bool
    services: list[str] = json_column([])
    contract_id: str | None = None
    contract_start: date | None = None
    contract_end: date | None = None
    contacts: list[dict[str, Any]] = json_column([])
    check_parameters: dict[str, Any] = json_column({})
    retired_at: datetime | None = utc_column()
    updated_at: datetime | None = utc_column()


class RosterMember(SQLModel, table=True):
    """A person working for the firm at a vendor, with their dates and identities."""

    __tablename__ = "roster_members"
    __table_args__ = (UniqueConstraint("vendor_id", "person", "since", name="uq_roster_member"),)

    id: int | None = Field(default=None, primary_key=True)
    vendor_id: str = Field(foreign_key="vendors.id", index=True)
    person: str
    name: str
    since: date
    until: date | None = None
    retired_at: datetime | None = utc_column()


class RosterIdentity(SQLModel, table=True):
    """One identity (ARN, DN, ...) of a roster member; joined by checks against principals."""

    __tablename__ = "roster_identities"
    __table_args__ = (UniqueConstraint("vendor_id", "person", "since", "external_id", name="uq_roster_identity"),)

    id: int | None = Field(default=None, primary_key=True)
    vendor_id: str = Field(foreign_key="vendors.id")
    person: str
    since: date
    until: date | None = None
    external_id: str = Field(index=True)
    retired_at: datetime | None = utc_column()


class DeclaredAccount(SQLModel, table=True):
    """A declared non-personal principal (service or break-glass) with its owner."""

    __tablename__ = "declared_accounts"
    __table_args__ = (UniqueConstraint("vendor_id", "principal", name="uq_declared_account"),)

    id: int | None = Field(default=None, primary_key=True)
    vendor_id: str = Field(foreign_key="vendors.id", index=True)
    principal: str = Field(index=True)
    kind: str = Field(max_length=16)
    owner: str
    allowed_hours: Any = json_column()
    allowed_networks: list[str] | None = json_column()
    retired_at: datetime | None = utc_column()


class Environment(SQLModel, table=True):
    """A production, staging or development environment of a vendor."""

    __tablename__ = "environments"

    id: str = Field(primary_key=True, max_length=63)
    vendor_id: str = Field(foreign_key="vendors.id", index=True)
    kind: str = Field(max_length=16)
    base_dn: str | None = None
    allowed_networks: list[str] | None = json_column()
    allowed_hours: dict[str, Any] | None = json_column()
    retired_at: datetime | None = utc_column()


class EnvironmentAccount(SQLModel, table=True):
    """An AWS account and the one environment (and vendor) that claims it."""

    __tablename__ = "environment_accounts"

    account_id: str = Field(primary_key=True, max_length=12)
    environment_id: str = Field(foreign_key="environments.id", index=True)
    vendor_id: str = Field(foreign_key="vendors.id")
    retired_at: datetime | None = utc_column()


class Bucket(SQLModel, table=True):
    """An S3 bucket of an environment and the class of data it holds."""

    __tablename__ = "buckets"

    name: str = Field(primary_key=True, max_length=63)
    environment_id: str = Field(foreign_key="environments.id", index=True)
    vendor_id: str = Field(foreign_key="vendors.id")
    data_class: str = Field(max_length=16)
    retired_at: datetime | None = utc_column()


class Source(SQLModel, table=True):
    """A monitored system of a vendor (AWS account, directory, files), without any secret."""

    __tablename__ = "sources"

    id: str = Field(primary_key=True, max_length=63)
    vendor_id: str = Field(foreign_key="vendors.id", index=True)
    environment_id: str = Field(foreign_key="environments.id")
    kind: str = Field(max_length=16)
    settings: dict[str, Any] = json_column({})
    schedule: dict[str, Any] | None = json_column()
    sla_hours: int = 24
    retired_at: datetime | None = utc_column()


class TransferApproval(SQLModel, table=True):
    """An approved transfer of data between environments (control 3.2.4)."""

    __tablename__ = "transfer_approvals"

    id: str = Field(primary_key=True, max_length=63)
    vendor_id: str = Field(foreign_key="vendors.id", index=True)
    from_environment_id: str = Field(foreign_key="environments.id")
    to_environment_id: str = Field(foreign_key="environments.id")
    resources: list[str] = json_column([])
    window_start: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    window_end: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    purpose: str
    approved_by: str
    retired_at: datetime | None = utc_column()


class RegistrySnapshot(SQLModel, table=True):
    """Each registry version imported: who, when, the file's hash and the validated document."""

    __tablename__ = "registry_snapshots"

    id: int | None = Field(default=None, primary_key=True)
    imported_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor: str
    path: str
    sha256: str = Field(max_length=64)
    document: dict[str, Any] = json_column({})


# --- evidence -------------------------------------------------------------------------------------------


class CollectionRun(SQLModel, table=True):
    """One collection or import of one source: when, outcome, counts, errors and the checkpoint reached."""

    __tablename__ = "collection_runs"
    __table_args__ = (Index("ix_collection_runs_source_started", "source_id", "started_at"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(foreign_key="sources.id")
    kind: str = Field(default="collect", max_length=16)
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    finished_at: datetime | None = utc_column()
    status: str = Field(default="running", max_length=16)
    counts: dict[str, int] = json_column({})
    errors: list[dict[str, Any]] = json_column([])
    error_text: str | None = None
    checkpoint: dict[str, Any] | None = json_column()
    owner: str | None = Field(default=None, max_length=255)  # host/pid/start of the process running it


class SourceObject(SQLModel, table=True):
    """A file or object read from a source (log file, digest): what happened to it, for resumption and integrity."""

    __tablename__ = "source_objects"
    __table_args__ = (UniqueConstraint("source_id", "key", name="uq_source_object"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(foreign_key="sources.id")
    key: str
    size: int | None = None
    etag: str | None = None
    sha256: str | None = Field(default=None, max_length=64)
    status: str = Field(max_length=16)
    integrity: str | None = Field(default=None, max_length=16)
    reason: str | None = None
    events: int = 0
    run_id: int | None = Field(default=None, foreign_key="collection_runs.id")
    processed_at: datetime | None = utc_column()


class ObservedSetting(SQLModel, table=True):
    """A configuration observed on a source (password policy, trail status, ...), as the run saw it."""

    __tablename__ = "observed_settings"
    __table_args__ = (UniqueConstraint("source_id", "kind", "subject", name="uq_observed_setting"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(foreign_key="sources.id")
    vendor_id: str = Field(foreign_key="vendors.id", index=True)
    kind: str = Field(max_length=63)
    subject: str
    data: dict[str, Any] = json_column({})
    observed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_seen_run_id: int | None = Field(default=None, foreign_key="collection_runs.id")
    gone_at: datetime | None = utc_column()
    gone_run_id: int | None = Field(default=None, foreign_key="collection_runs.id")


class Principal(SQLModel, table=True):
    """An identity at a vendor: IAM user, role, access key, root, directory account."""

    __tablename__ = "principals"
    __table_args__ = (UniqueConstraint("source_id", "external_id", name="uq_principal"),)

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(foreign_key="sources.id")
    vendor_id: str = Field(foreign_key="vendors.id", index=True)
    environment_id: str | None = Field(default=None, foreign_key="environments.id")
    external_id: str = Field(index=True)
    kind: str = Field(max_length=32)
    name: str
    display_name: str | None = None
    parent_external_id: str | None = Field(default=None, index=True)
    owner: str | None = None
    email: str | None = None
    mfa_enabled: bool | None = None
    console_access: bool | None = None
    disabled: bool = False
    created_at: datetime | None = utc_column()
    last_used_at: datetime | None = utc_column()
    password_changed_at: datetime | None = utc_column()
    locked_at: datetime | None = utc_column()
    attributes: dict[str, Any] = json_column({})
    first_seen_run_id: int | None = Field(default=None, foreign_key="collection_runs.id")
    last_seen_run_id: int | None = Field(default=None, foreign_key="collection_runs.id")
    gone_at: datetime | None = utc_column()
    gone_run_id: int | None = Field(default=None, foreign_key="collection_runs.id")


class Grant(SQLModel, table=True):
    """A principal's right on a resource: a policy, a group membership, a trust relationship."""

    __tablename__ = "grants"
    __table_args__ = (
        UniqueConstraint("source_id", "principal_external_id", "kind", "name", name="uq_grant"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: str = Field(foreign_key="sources.id")
    vendor_id: str = Field(foreign_key="vendors.id", index=True)
    principal_external_id: str = Field(index=True)
    kind: str = Field(max_length=32)
    name: str
    resource: str | None = None
    is_admin: bool = False
    document: dict[str, Any] | None = json_column()
    first_seen_run_id: int | None = Field(default=None, foreign_key="collection_runs.id")
    last_seen_run_id: int | None = Field(default=None, foreign_key="collection_runs.id")
    gone_at: datetime | None = utc_column()
    gone_run_id: int | None = Field(default=None, foreign_key="collection_runs.id")


class AccessEvent(SQLModel, table=True):
    """One logged action. The large table: written in batches, read by checks as SQL.

    Built for writing millions of rows (migration 0005ingest):

    - the unique key is (source, event time, source event id): a re-delivered or re-read event has the same
      id *and* time, so it is still refused, while new events land at the end of the key in time order
      instead of at random places (random event ids made the key the largest cost of a large database);
    - no foreign keys: checked per row they halved the write rate; ``EventWriter`` checks the source,
      vendor, run and environments of each batch inside the batch's transaction instead;
    - the covering indexes for the event-name, identity and customer-data checks exist on SQLite only, which
      has no hash aggregation; PostgreSQL hash-aggregates a sequential scan within the checks' budget, so it
      keeps only the narrow (action, time) index;
    - those SQLite indexes lead with a few low-cardinality columns and then the event time (migration
      0006timeled): new events, arriving in time order, are appended to them. Led by the principal, every
      batch was spread over most of their pages and incremental ingest ran at less than half the rate.
    """

    __tablename__ = "access_events"
    __table_args__ = (
        UniqueConstraint("source_id", "event_time", "source_event_id", name="uq_access_event"),
        Index("ix_access_events_vendor_time", "vendor_id", "event_time"),
        Index("ix_access_events_action_time", "action", "event_time").ddl_if(dialect="postgresql"),
        # SQLite only (migrations 0004checks, 0006timeled): event-name checks (trail, sharing, sign-ins, IAM
        # changes), identity checks (covering, grouped with a sort), customer-data checks (a partial index over
        # customer-data events only). Time after the low-cardinality columns: new events are appended.
        Index("ix_access_events_action_outcome", "action", "outcome", "event_time", "principal", "environment_id",
              "vendor_id").ddl_if(dialect="sqlite"),
        Index("ix_access_events_identity", "principal_kind", "outcome", "event_time", "principal", "vendor_id",
              "source_ip").ddl_if(dialect="sqlite"),
        Index("ix_access_events_customer", "vendor_id", "environment_id", "outcome", "event_time", "principal",
              "session_issuer", "source_ip", sqlite_where=text("customer_data = 1")).ddl_if(dialect="sqlite"),
    )

    id: int | None = Field(default=None, primary_key=True)
    source_id: str
    source_event_id: str
    event_time: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    vendor_id: str
    environment_id: str | None = None
    account_id: str | None = None
    region: str | None = None
    principal: str | None = None
    principal_kind: str | None = None
    access_key_id: str | None = None
    session_issuer: str | None = None
    action: str
    service: str | None = None
    resource: str | None = None
    bucket: str | None = None
    object_key: str | None = None
    target_account: str | None = None
    source_ip: str | None = None
    user_agent: str | None = None
    outcome: str = Field(default="success", max_length=16)
    error_code: str | None = None
    mfa_used: bool | None = None
    customer_data: bool = False
    data_class: str | None = None
    details: dict[str, Any] | None = json_column()
    run_id: int | None = None


class Transfer(SQLModel, table=True):
    """Data moved between environments or accounts, derived from an event; linked to its approval if any."""

    __tablename__ = "transfers"
    __table_args__ = (UniqueConstraint("access_event_id", name="uq_transfer_event"),)

    id: int | None = Field(default=None, primary_key=True)
    access_event_id: int = Field(foreign_key="access_events.id")
    vendor_id: str = Field(foreign_key="vendors.id", index=True)
    kind: str = Field(max_length=32)
    occurred_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    from_environment_id: str | None = Field(default=None, foreign_key="environments.id")
    to_environment_id: str | None = Field(default=None, foreign_key="environments.id")
    from_account: str | None = None
    to_account: str | None = None
    resource: str | None = None
    approval_id: str | None = Field(default=None, foreign_key="transfer_approvals.id")


# --- judgement ------------------------------------------------------------------------------------------


class Finding(SQLModel, table=True):
    """A check's result about one subject at one vendor; identified by its fingerprint."""

    __tablename__ = "findings"

    id: int | None = Field(default=None, primary_key=True)
    fingerprint: str = Field(unique=True, max_length=64)
    check_id: str = Field(index=True)
    control_id: str = Field(max_length=16, index=True)
    # None for a finding about the firm itself rather than a vendor (3.2.6: the monthly digest not delivered).
    vendor_id: str | None = Field(default=None, foreign_key="vendors.id", index=True)
    subject: str
    severity: str = Field(max_length=16)
    status: str = Field(default="open", max_length=16, index=True)
    first_seen: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_seen: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    resolved_at: datetime | None = utc_column()
    status_reason: str | None = None
    accepted_until: datetime | None = utc_column()
    evidence: dict[str, Any] = json_column({})
    # When the condition happened: the first and last of the evidence events (None without events; 0009trust).
    first_event_at: datetime | None = utc_column()
    last_event_at: datetime | None = utc_column()


class FindingHistory(SQLModel, table=True):
    """Every status change of a finding: from, to, who, why."""

    __tablename__ = "finding_history"

    id: int | None = Field(default=None, primary_key=True)
    finding_id: int = Field(foreign_key="findings.id", index=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    from_status: str | None = None
    to_status: str
    actor: str
    reason: str | None = None


PORTAL_SIGNIN_FAILURE = "portal.signin.failure"  # the audit action of a refused portal sign-in


class AuditEntry(SQLModel, table=True):
    """Append-only log of imports and of every change a person makes; each entry hashes the one before."""

    __tablename__ = "audit_log"
    __table_args__ = (
        # A contact's failed sign-ins within a time window (views.portal_contacts: a seek per target and time;
        # covering, the action is its last column: the count reads no table row).
        # Partial: those targets are short ids, while a target of another action may be a long path, which a
        # PostgreSQL b-tree entry cannot hold (2,704 bytes). Migration 0010auditidx.
        Index("ix_audit_log_portal_failures", "target", "at", "action",
              sqlite_where=text(f"action = '{PORTAL_SIGNIN_FAILURE}'"),
              postgresql_where=text(f"action = '{PORTAL_SIGNIN_FAILURE}'")),
    )

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    actor: str
    action: str = Field(max_length=63)
    target: str
    details: dict[str, Any] = json_column({})
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64, unique=True)
    mac: str | None = Field(default=None, max_length=64)  # HMAC-SHA256 of ``hash`` under the audit key, if one is set


# --- posture ----------------------------------------------------------------------------------------------


class PostureSnapshot(SQLModel, table=True):
    """Each vendor's posture as an evaluation left it: one row per vendor and day (the day's last evaluation wins).

    Written at every evaluation so that screens and reports read figures instead of recomputing them, and so
    that the trend over months is what was known at the time, not a reconstruction.
    """

    __tablename__ = "posture_snapshots"
    __table_args__ = (
        UniqueConstraint("day", "vendor_id", name="uq_posture_day_vendor"),
        Index("ix_posture_vendor_month", "vendor_id", "month"),
    )

    id: int | None = Field(default=None, primary_key=True)
    day: date = Field(index=True)  # in the organization's time zone
    month: str = Field(max_length=7)  # YYYY-MM of ``day``
    vendor_id: str = Field(foreign_key="vendors.id")
    evaluated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    score: int
    level: str = Field(max_length=16)
    own_points: int
    rolled_up_points: int
    coverage: float
    sources: dict[str, int] = json_column({})  # state (fresh, stale, failing, never) -> sources
    open_by_severity: dict[str, int] = json_column({})  # open and acknowledged findings of the vendor itself
    open_by_control: dict[str, int] = json_column({})
    accepted: int = 0  # findings whose risk is accepted (until their expiry)
    reasons: list[dict[str, Any]] = json_column([])  # the largest contributions to the score


# --- questionnaires -------------------------------------------------------------------------------------
# Questionnaire versions as sent (the definition is frozen in ``document``), campaigns and their requests to
# vendors, the answers, each submission with its answers as checks read them (control, result, observable),
# reviewers' notes, evidence files and documents with a validity period, and the reminders sent.


class QuestionnaireVersion(SQLModel, table=True):
    """A questionnaire version as it was first sent: the validated definition, frozen, and its content hash."""

    __tablename__ = "questionnaire_versions"
    __table_args__ = (UniqueConstraint("questionnaire_id", "version", name="uq_questionnaire_version"),)

    id: int | None = Field(default=None, primary_key=True)
    questionnaire_id: str = Field(max_length=63)
    version: str = Field(max_length=32)
    sha256: str = Field(max_length=64)
    title_ja: str
    title_en: str
    audience: str = Field(max_length=16)
    document: dict[str, Any] = json_column({})
    stored_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    stored_by: str


class QuestionnaireQuestion(SQLModel, table=True):
    """One question of a stored version with what checks need (control, related item, observable)."""

    __tablename__ = "questionnaire_questions"
    __table_args__ = (UniqueConstraint("version_id", "question_id", name="uq_questionnaire_question"),)

    id: int | None = Field(default=None, primary_key=True)
    version_id: int = Field(foreign_key="questionnaire_versions.id", index=True)
    question_id: str = Field(max_length=63)
    position: int
    number: str = Field(max_length=16)
    section_id: str = Field(max_length=63)
    type: str = Field(max_length=16)
    control_id: str = Field(max_length=16)
    item_id: str | None = Field(default=None, max_length=16)
    observable: str | None = Field(default=None, max_length=63)
    required: bool = True
    text_ja: str
    text_en: str


class QuestionnaireCampaign(SQLModel, table=True):
    """A questionnaire version sent to chosen vendors with a due date (a local date of the organization)."""

    __tablename__ = "questionnaire_campaigns"

    id: int | None = Field(default=None, primary_key=True)
    name: str
    version_id: int = Field(foreign_key="questionnaire_versions.id", index=True)
    due_date: date
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_by: str
    note: str | None = None


class QuestionnaireRequest(SQLModel, table=True):
    """One vendor's copy of a campaign: its state (not started … accepted) and dates."""

    __tablename__ = "questionnaire_requests"
    __table_args__ = (UniqueConstraint("campaign_id", "vendor_id", name="uq_questionnaire_request"),)

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="questionnaire_campaigns.id", index=True)
    vendor_id: str = Field(foreign_key="vendors.id", index=True)
    version_id: int = Field(foreign_key="questionnaire_versions.id")
    questionnaire_id: str = Field(max_length=63)
    state: str = Field(default="not_started", max_length=24, index=True)
    due_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    state_changed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    started_at: datetime | None = utc_column()
    submitted_at: datetime | None = utc_column()
    accepted_at: datetime | None = utc_column()
    submissions: int = 0


class QuestionnaireRequestHistory(SQLModel, table=True):
    """Every state change of a request: from, to, who, and the note that came with it."""

    __tablename__ = "questionnaire_request_history"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="questionnaire_requests.id", index=True)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    from_state: str | None = Field(default=None, max_length=24)
    to_state: str = Field(max_length=24)
    actor: str
    note: str | None = None


class QuestionnaireAnswer(SQLModel, table=True):
    """The working answer to one question of a request (a draft until it is submitted)."""

    __tablename__ = "questionnaire_answers"
    __table_args__ = (UniqueConstraint("request_id", "question_id", name="uq_questionnaire_answer"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="questionnaire_requests.id", index=True)
    question_id: str = Field(max_length=63)
    value: dict[str, Any] = json_column({})
    updated_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    updated_by: str


class QuestionnaireSubmission(SQLModel, table=True):
    """A request as submitted: when, by whom, how (portal, workbook), its score and the review's outcome."""

    __tablename__ = "questionnaire_submissions"
    __table_args__ = (UniqueConstraint("request_id", "number", name="uq_questionnaire_submission"),)

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="questionnaire_requests.id", index=True)
    vendor_id: str = Field(foreign_key="vendors.id", index=True)
    questionnaire_id: str = Field(max_length=63)
    version_id: int = Field(foreign_key="questionnaire_versions.id")
    number: int
    submitted_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    submitted_by: str
    via: str = Field(max_length=16)
    score: float | None = None
    result: str | None = Field(default=None, max_length=16)
    outcome: str | None = Field(default=None, max_length=24)
    reviewed_at: datetime | None = utc_column()
    reviewed_by: str | None = None


class QuestionnaireSubmittedAnswer(SQLModel, table=True):
    """One answer of a submission as checks read it: the question's control, item and observable, the result."""

    __tablename__ = "questionnaire_submitted_answers"
    __table_args__ = (UniqueConstraint("submission_id", "question_id", name="uq_questionnaire_submitted_answer"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="questionnaire_submissions.id", index=True)
    request_id: int = Field(foreign_key="questionnaire_requests.id")
    vendor_id: str = Field(foreign_key="vendors.id", index=True)
    questionnaire_id: str = Field(max_length=63)
    question_id: str = Field(max_length=63)
    control_id: str = Field(max_length=16)
    item_id: str | None = Field(default=None, max_length=16)
    observable: str | None = Field(default=None, max_length=63)
    visible: bool
    answered: bool
    result: str | None = Field(default=None, max_length=16)
    score: float | None = None
    value: dict[str, Any] | None = json_column()
    display_ja: str | None = None
    display_en: str | None = None


class QuestionnaireReviewNote(SQLModel, table=True):
    """A reviewer's note on one question (or on the whole request) and the vendor's response to it."""

    __tablename__ = "questionnaire_review_notes"

    id: int | None = Field(default=None, primary_key=True)
    request_id: int = Field(foreign_key="questionnaire_requests.id", index=True)
    submission_id: int = Field(foreign_key="questionnaire_submissions.id")
    question_id: str | None = Field(default=None, max_length=63)
    note: str
    author: str
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    response: str | None = None
    responded_at: datetime | None = utc_column()
    responded_by: str | None = None
    closed_at: datetime | None = utc_column()


class EvidenceFile(SQLModel, table=True):
    """An uploaded file: its content is stored once by SHA-256 in the evidence directory, never served inline."""

    __tablename__ = "evidence_files"

    id: int | None = Field(default=None, primary_key=True)
    sha256: str = Field(max_length=64, index=True)
    size: int
    media_type: str = Field(max_length=127)
    filename: str
    vendor_id: str = Field(foreign_key="vendors.id", index=True)
    request_id: int | None = Field(default=None, foreign_key="questionnaire_requests.id", index=True)
    question_id: str | None = Field(default=None, max_length=63)
    uploaded_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    uploaded_by: str


class EvidenceDocument(SQLModel, table=True):
    """A document with a validity period (ISO 27001 certificate, penetration-test report, SOC 2 report)."""

    __tablename__ = "evidence_documents"

    id: int | None = Field(default=None, primary_key=True)
    vendor_id: str = Field(foreign_key="vendors.id", index=True)
    kind: str = Field(max_length=32)
    title: str
    file_id: int = Field(foreign_key="evidence_files.id")
    valid_from: date | None = None
    valid_until: date | None = None
    request_id: int | None = Field(default=None, foreign_key="questionnaire_requests.id")
    question_id: str | None = Field(default=None, max_length=63)
    registered_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    registered_by: str
    withdrawn_at: datetime | None = utc_column()
    withdrawn_by: str | None = None


class ReminderRecord(SQLModel, table=True):
    """A reminder e-mail (a request coming due, a document expiring): claimed once per stage, then its outcome."""

    __tablename__ = "reminders"
    __table_args__ = (UniqueConstraint("kind", "target_id", "stage", name="uq_reminder"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)
    target_id: int
    vendor_id: str = Field(foreign_key="vendors.id", index=True)
    stage: str = Field(max_length=16)
    status: str = Field(max_length=16)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = utc_column()
    attempts: int = 0
    subject: str | None = None
    message_id: str | None = None
    recipients: list[str] = json_column([])
    refused: dict[str, Any] = json_column({})
    smtp_response: str | None = None
    error: str | None = None
# --- dashboard ------------------------------------------------------------------------------------------


class StaffUser(SQLModel, table=True):
    """A member of the firm's staff who may sign in to the dashboard: role, password hash, lockout state.

    Local accounts carry an argon2 hash; accounts that only sign in through the firm's OpenID Connect
    provider have none and are matched by their (lower-case) e-mail address. Never deleted: disabled.
    """

    __tablename__ = "staff_users"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=64)
    email: str | None = Field(default=None, unique=True, max_length=254)
    display_name: str | None = None
    role: str = Field(max_length=16)
    password_hash: str | None = None
    password_changed_at: datetime | None = utc_column()
    failed_attempts: int = 0
    locked_until: datetime | None = utc_column()
    last_signin_at: datetime | None = utc_column()
    disabled_at: datetime | None = utc_column()
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
# --- digest -----------------------------------------------------------------------------------------------


class DigestRecord(SQLModel, table=True):
    """One production of a month's digest in one language: the documents, their hashes and who made them.

    The evidence of 3.2.6 (reporting to management). Never updated or deleted (database triggers, migration
    0008digest); producing the month again adds a revision. ``audit_entries``/``audit_head`` are the audit
    chain's head as of the end of the month, so that a digest kept outside the database anchors the log.
    """

    __tablename__ = "digests"
    __table_args__ = (UniqueConstraint("month", "language", "revision", name="uq_digest_revision"),)

    id: int | None = Field(default=None, primary_key=True)
    month: str = Field(max_length=7, index=True)  # YYYY-MM in the organization's time zone
    language: str = Field(max_length=2)
    revision: int
    produced_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    produced_by: str
    period_start: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    period_end: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    as_of: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))  # the month's end, or earlier if produced mid-month
    provisional: bool = False  # produced before the month ended
    subject: str
    html: str = Field(sa_column=Column(Text, nullable=False))  # the e-mail's HTML, charts embedded
    text: str = Field(sa_column=Column(Text, nullable=False))  # its plain-text part
    pdf: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    html_sha256: str = Field(max_length=64)
    text_sha256: str = Field(max_length=64)
    pdf_sha256: str = Field(max_length=64)
    content: dict[str, Any] = json_column({})  # the figures the documents were rendered from
    audit_entries: int
    audit_head: str = Field(max_length=64)


class DigestDelivery(SQLModel, table=True):
    """One attempt to mail a digest: to whom, what the SMTP server answered, and the exact bytes sent.

    Never updated or deleted; ``--resend`` sends ``raw`` again and records another delivery.
    """

    __tablename__ = "digest_deliveries"
    __table_args__ = (Index("ix_digest_deliveries_month_status", "month", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    digest_id: int = Field(foreign_key="digests.id", index=True)
    month: str = Field(max_length=7)  # the digest's month, for the 3.2.6 check
    kind: str = Field(max_length=16)  # send | resend
    attempted_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = utc_column()
    actor: str
    sender: str
    recipients: list[str] = json_column([])
    accepted: list[str] = json_column([])
    refused: dict[str, str] = json_column({})
    status: str = Field(max_length=16)  # delivered | partial | failed
    response: str | None = None  # the server's answer to DATA
    error: str | None = None
    message_id: str | None = None
    signed: bool = False
    raw: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    raw_sha256: str = Field(max_length=64)


# --- vendor portal ----------------------------------------------------------------------------------------


class PortalAccount(SQLModel, table=True):
    """A vendor contact's portal account: whose contact it is, enrolment, lockout state. Never deleted: disabled.

    Created by ``vendorwatch portal invite``; the contact enrols through the single-use link of the invitation.
    """

    __tablename__ = "portal_accounts"

    id: int | None = Field(default=None, primary_key=True)
    vendor_id: str = Field(foreign_key="vendors.id", index=True)
    email: str = Field(unique=True, max_length=254)
    name: str | None = None
    user_handle: str = Field(unique=True, max_length=128)  # WebAuthn user id (random, base64url)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_by: str
    enrolled_at: datetime | None = utc_column()
    failed_attempts: int = 0
    locked_until: datetime | None = utc_column()
    last_signin_at: datetime | None = utc_column()
    disabled_at: datetime | None = utc_column()


class PortalCredential(SQLModel, table=True):
    """A passkey registered by a portal account (public key only; the private key never leaves the device)."""

    __tablename__ = "portal_credentials"

    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="portal_accounts.id", index=True)
    credential_id: str = Field(unique=True, max_length=1400)  # base64url
    public_key: str  # base64url COSE key
    sign_count: int = 0
    transports: list[str] = json_column([])
    device_type: str | None = Field(default=None, max_length=32)
    backed_up: bool = False
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_used_at: datetime | None = utc_column()
    revoked_at: datetime | None = utc_column()


class PortalToken(SQLModel, table=True):
    """A single-use secret, stored hashed: an enrolment link, an e-mail sign-in code, or a WebAuthn challenge.

    ``purpose`` is ``enrol``, ``email_code``, ``passkey_register`` or ``passkey_signin``. Codes and challenges
    expire within minutes, enrolment links within days; a used or superseded token is never accepted again.
    """

    __tablename__ = "portal_tokens"
    __table_args__ = (Index("ix_portal_tokens_account_purpose", "account_id", "purpose"),)

    id: int | None = Field(default=None, primary_key=True)
    purpose: str = Field(max_length=24)
    token_hash: str = Field(unique=True, max_length=64)
    account_id: int | None = Field(default=None, foreign_key="portal_accounts.id")
    challenge: str | None = Field(default=None, max_length=200)  # WebAuthn challenge (base64url), not a secret
    salt: str | None = Field(default=None, max_length=64)
    attempts: int = 0
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    created_by: str | None = None
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    used_at: datetime | None = utc_column()


class PortalSession(SQLModel, table=True):
    """A signed-in browser: the cookie's hash, idle and absolute expiry, and how it ended."""

    __tablename__ = "portal_sessions"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(unique=True, max_length=64)
    account_id: int = Field(foreign_key="portal_accounts.id", index=True)
    method: str = Field(max_length=16)  # passkey | email_code | enrolment
    client: str | None = Field(default=None, max_length=64)
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    last_seen_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    ended_at: datetime | None = utc_column()
    end_reason: str | None = Field(default=None, max_length=24)


class PortalAttempt(SQLModel, table=True):
    """A failed sign-in step from a client address, kept for rate limiting (several accounts, one address)."""

    __tablename__ = "portal_attempts"
    __table_args__ = (Index("ix_portal_attempts_client_at", "client", "at"),)

    id: int | None = Field(default=None, primary_key=True)
    client: str = Field(max_length=64)
    at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    kind: str = Field(max_length=24)


# --- scheduler ------------------------------------------------------------------------------------------


class SchedulerJob(SQLModel, table=True):
    """APScheduler 3's job store (``SQLAlchemyJobStore``): the table it would create, declared so that migrations
    own it. Written only by the active scheduler; ``next_run_time`` (UTC epoch seconds) is read by ``status``."""

    __tablename__ = "apscheduler_jobs"

    id: str = Field(sa_column=Column(Unicode(191), primary_key=True))
    next_run_time: float | None = Field(default=None, sa_column=Column(Float(25), index=True))
    job_state: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class SchedulerLease(SQLModel, table=True):
    """Who is the active scheduler of this database (SQLite; PostgreSQL uses an advisory lock and records the
    holder here too): renewed by a heartbeat, taken over by a standby once ``expires_at`` has passed."""

    __tablename__ = "scheduler_leases"

    name: str = Field(primary_key=True, max_length=32)
    holder: str = Field(max_length=200)
    acquired_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    heartbeat_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class SourceClaim(SQLModel, table=True):
    """A source being collected right now, by whom, until when (renewed while it runs): the database's guard that a
    source never runs twice at once, whatever the number of processes."""

    __tablename__ = "source_claims"

    source_id: str = Field(primary_key=True, foreign_key="sources.id", max_length=63)
    holder: str = Field(max_length=200)
    claimed_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    expires_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))


class AlertRecord(SQLModel, table=True):
    """An alert e-mail (a new critical finding, a source newly past its SLA): claimed once per subject, then its
    outcome, so each goes out once."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("kind", "key", name="uq_alert"),)

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=16)  # finding | sla
    key: str = Field(max_length=200)
    vendor_id: str | None = Field(default=None, foreign_key="vendors.id", index=True)
    status: str = Field(max_length=16)  # sending | sent | failed | skipped
    created_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False))
    sent_at: datetime | None = utc_column()
    attempts: int = 0
    subject: str | None = None
    recipients: list[str] = json_column([])
    smtp_response: str | None = None
    error: str | None = None

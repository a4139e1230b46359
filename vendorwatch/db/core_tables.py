"""The SQLAlchemy Core ``Table`` of each SQLModel table, for queries written in SQL rather than the ORM.

Checks, scores, read models and the digest aggregate in the database (GROUP BY, window functions) and
select plain columns; they take the tables from here, under one name each, instead of defining their own.
"""

from __future__ import annotations

from sqlalchemy import Table
from sqlmodel import SQLModel

from vendorwatch.db import tables


def core_table(model: type[SQLModel]) -> Table:
    """The ``Table`` behind a SQLModel table class (SQLModel does not declare ``__table__`` for type checkers)."""
    table: Table = model.__table__  # type: ignore[attr-defined]
    return table


# Telemetry: what collection stored.
EVENTS = core_table(tables.AccessEvent)
PRINCIPALS = core_table(tables.Principal)
GRANTS = core_table(tables.Grant)
SETTINGS = core_table(tables.ObservedSetting)
RUNS = core_table(tables.CollectionRun)
SOURCE_OBJECTS = core_table(tables.SourceObject)
TRANSFERS = core_table(tables.Transfer)

# The registry in force and what it declares.
VENDORS = core_table(tables.Vendor)
ENVIRONMENTS = core_table(tables.Environment)
SOURCES = core_table(tables.Source)
REGISTRY_SNAPSHOTS = core_table(tables.RegistrySnapshot)
APPROVALS = core_table(tables.TransferApproval)

# Findings, posture and reporting.
FINDINGS = core_table(tables.Finding)
POSTURE_SNAPSHOTS = core_table(tables.PostureSnapshot)
DIGESTS = core_table(tables.DigestRecord)
DELIVERIES = core_table(tables.DigestDelivery)

# Questionnaires and evidence.
CAMPAIGNS = core_table(tables.QuestionnaireCampaign)
VERSIONS = core_table(tables.QuestionnaireVersion)
QUESTIONS = core_table(tables.QuestionnaireQuestion)
REQUESTS = core_table(tables.QuestionnaireRequest)
SUBMISSIONS = core_table(tables.QuestionnaireSubmission)
SUBMITTED_ANSWERS = core_table(tables.QuestionnaireSubmittedAnswer)
DOCUMENTS = core_table(tables.EvidenceDocument)

# The firm's staff and the audit log.
STAFF = core_table(tables.StaffUser)
AUDIT = core_table(tables.AuditEntry)

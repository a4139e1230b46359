"""``vendorwatch collect`` for an ``ldap`` source: policy, accounts and groups, accesslog, stats log.

When a source has both the accesslog and a stats log, binds are taken from the stats log only (it has the
client IP; the same login is not counted twice) and the accesslog gives the writes.

Order matters: access logs are stored first so that an OpenLDAP account's ``last_used_at`` can be the newest
successful bind they show. Each part either completes or leaves nothing behind: the inventory is loaded in one
transaction only after every account and group was read; a log's checkpoint moves only past what was stored.
A failure is recorded on the run with a bilingual message, and the other parts still run.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from connectors.ldap import accesslog, logfiles
from connectors.ldap.connection import Directory, connect, read_password
from connectors.ldap.inventory import (
    Inventory,
    PolicyBook,
    get_directory_entries,
    normalize_dn,
    transform_inventory,
    with_last_use,
)
from connectors.ldap.policy import (
    PSO_KIND,
    LockoutRule,
    get_ad_policy_entry,
    get_ppolicy_default,
    get_ppolicy_entries,
    get_pso_entries,
    lockout_rule,
    password_settings,
    transform_ad_policies,
    transform_ppolicies,
    transform_pso,
)
from connectors.ldap.statslog import StatsLogParser, StatsState
from vendorwatch.db.tables import CollectionRun
from vendorwatch.errors import ConfigError, VendorWatchError
from vendorwatch.i18n import Text, t
from vendorwatch.ingest.context import CollectContext
from vendorwatch.ingest.events import EventWriter
from vendorwatch.ingest.inventory import InventoryBatch, store_inventory
from vendorwatch.ingest.last_use import last_successful_binds
from vendorwatch.ingest.runs import Count, RunRecorder, error_text
from vendorwatch.records import AccessEventRecord, SettingRecord
from vendorwatch.registry.models import LdapSource


@dataclass
class LdapRun:
    """What the parts of one LDAP collection share: the run, its start, the checkpoint, the parts that failed."""

    context: CollectContext
    source: LdapSource
    recorder: RunRecorder
    now: datetime
    checkpoint: dict[str, Any]
    failed_parts: list[str] = field(default_factory=list)
    psos_read: bool = True  # AD: the PSO container was read (else its PSOs stored before stay as they were)


def _base_dn(context: CollectContext, source: LdapSource) -> str:
    if source.base_dn:
        return source.base_dn
    for environment in context.vendor.environments:
        if environment.id == source.environment and environment.directory is not None:
            return environment.directory.base_dn
    raise ConfigError(t(
        f"ソース {source.id}: base_dn がなく、環境 {source.environment} にも directory.base_dn がありません",
        f"source {source.id}: no base_dn, and environment {source.environment} has no directory.base_dn",
    ))


def _fail(run: LdapRun, part: str, error: VendorWatchError) -> None:
    """Record that one part could not be done; the other parts still run."""
    run.failed_parts.append(part)
    run.recorder.error(part, error.message, error.details)


def _writer(run: LdapRun) -> EventWriter:
    return EventWriter(run.context.engine, source_id=run.source.id, vendor_id=run.context.vendor.id,
                       run_id=run.recorder.run_id)


def _tag(run: LdapRun, event: AccessEventRecord) -> AccessEventRecord:
    return run.context.index.tag(event, run.source.environment)


# -- policy: get -> transform (loaded with the inventory) ---------------------------------------------------


def read_policy(directory: Directory, source: LdapSource, base_dn: str,
                recorder: RunRecorder | None = None) -> tuple[list[SettingRecord], PolicyBook]:
    """The password policies and the lock rules they imply.

    For AD: the domain policy and the PSOs; a PSO container that cannot be read is an error on the run (the
    accounts are then judged by the domain policy, which may not be the one that governs them).
    """
    if source.flavor == "active_directory":
        settings = transform_ad_policies(get_ad_policy_entry(directory, base_dn), base_dn)
        psos = get_pso_entries(directory, base_dn)
        if not psos.readable and recorder is not None:
            recorder.error("password_settings", t(
                "細かい設定のパスワードポリシー（PSO）を読めません。AD は既定で PSO を Domain Admins にしか見せません。"
                "サービスアカウントに Password Settings Container の読み取り権限を与えてください。"
                "それまでは全アカウントをドメインのポリシーで判定します",
                "cannot read the fine-grained password policies (PSOs): AD shows them only to Domain Admins by "
                "default. Give the service account read access to the Password Settings Container; until then "
                "every account is judged by the domain policy",
            ), psos.details)
        pso_settings = [transform_pso(e) for e in psos.entries]
        return settings + pso_settings, PolicyBook(
            default=lockout_rule(settings[0]), default_subject=settings[0].subject,
            password_settings=password_settings(pso_settings), psos_readable=psos.readable)
    settings = transform_ppolicies(get_ppolicy_entries(directory, base_dn), base_dn)
    present = [s for s in settings if s.data.get("present")]
    book = PolicyBook(rules={normalize_dn(s.subject): lockout_rule(s) for s in present})
    default_dn = get_ppolicy_default(directory, base_dn)
    if default_dn:
        # cn=config was readable: the overlay's default governs every account without pwdPolicySubentry.
        book.default = book.rules.get(normalize_dn(default_dn), LockoutRule(None, None))
        book.default_subject = default_dn
    elif len(present) == 1:
        # With a single policy it is the default one (the default's DN lives in cn=config, out of reach).
        book.default = lockout_rule(present[0])
    return settings, book


# -- accesslog: get -> transform -> load --------------------------------------------------------------------


def collect_accesslog(run: LdapRun, directory: Directory) -> None:
    """New accesslog entries into events; the checkpoint moves to the newest stored ``reqStart``."""
    base = run.source.accesslog_base
    if run.source.flavor != "openldap" or not base:
        return
    since = (run.checkpoint.get("accesslog") or {}).get("req_start")
    newest = accesslog.NewestStart()
    entries = newest.seen(accesslog.get_accesslog(directory, base, since))  # streamed: one page in memory
    writer = _writer(run)
    read = skipped = 0
    # With a stats log too, binds come from it (with the client IP); keeping the accesslog's copy as well
    # would count every login twice.
    keep_binds = not run.source.stats_log
    for entry in entries:
        event = accesslog.transform_entry(entry)
        if event is None:
            continue
        if event.action == "bind" and not keep_binds:
            skipped += 1
            continue
        writer.add(_tag(run, event))
        read += 1
    if skipped:
        run.recorder.count(Count.BINDS_LEFT_TO_STATS_LOG, skipped)
    counts = writer.flush()
    run.recorder.count(Count.READ, read)
    run.recorder.count(Count.STORED, counts.stored)
    run.recorder.count(Count.DUPLICATE, counts.duplicate)
    if newest.value:
        run.checkpoint["accesslog"] = {"req_start": newest.value}
        run.recorder.save_checkpoint(dict(run.checkpoint))


# -- stats log: get (complete lines) -> transform (parser) -> load ------------------------------------------


def collect_stats_log(run: LdapRun) -> None:
    """New stats log lines into bind events, rotation handled; state and offset saved together."""
    source, recorder = run.source, run.recorder
    if not source.stats_log:
        return
    path = Path(source.stats_log)
    saved = run.checkpoint.get("stats_log") or {}
    position = logfiles.FilePosition.from_json(saved.get("position"))
    parser = StatsLogParser(StatsState.from_json(saved.get("state")), reference=run.now,
                            timezone=ZoneInfo(source.stats_log_timezone))
    writer = _writer(run)
    try:
        segments = logfiles.plan(path, position)
    except OSError as error:
        _fail(run, "stats_log", VendorWatchError(t(
            f"stats ログ {path} を読めません", f"cannot read the stats log {path}"), details=[str(error)]))
        return
    reached = position
    try:
        for segment in segments:
            for note in segment.notes:
                recorder.error(f"stats_log:{segment.path}", note)
            reached = logfiles.FilePosition(str(segment.path), segment.inode, segment.offset)
            number = 1
            for lines, end in logfiles.complete_chunks(segment):
                for event in parser.feed_lines(lines, str(segment.path), number):
                    writer.add(_tag(run, event))
                number += len(lines)
                reached.offset = end
            if segment.finished:
                reached = None  # the rotated file is done; the next segment starts the new one
    except OSError as error:
        _fail(run, "stats_log", VendorWatchError(t(
            f"stats ログ {path} の読み込みが途中で失敗しました", f"reading the stats log {path} failed midway"),
            details=[str(error)]))
    counts = writer.flush()
    for garbled in parser.garbled:
        recorder.error(f"stats_log:{garbled.where}", garbled.message())
    recorder.count(Count.LOG_LINES, parser.counts.lines)
    recorder.count(Count.LOG_BINDS, parser.counts.binds)
    recorder.count(Count.READ, parser.counts.binds)
    if parser.counts.garbled:
        recorder.count(Count.LOG_GARBLED, parser.counts.garbled)
    recorder.count(Count.STORED, counts.stored)
    recorder.count(Count.DUPLICATE, counts.duplicate)
    if reached is not None:
        reached.path = str(path) if reached.inode == logfiles.file_identity(path) else reached.path
        run.checkpoint["stats_log"] = {"position": reached.to_json(), "state": parser.state.to_json()}
        recorder.save_checkpoint(dict(run.checkpoint))


# -- inventory: load (after the logs, for the last binds) ---------------------------------------------------


def load_inventory(run: LdapRun, settings: list[SettingRecord] | None, inventory: Inventory | None) -> None:
    """Settings and inventory in one transaction; unseen rows of the kinds read completely are marked gone."""
    flavor = run.source.flavor
    kind = "ad_account" if flavor == "active_directory" else "ldap_account"
    principals = grants = None
    if inventory is not None:
        principals, grants = inventory.principals, inventory.grants
        if flavor == "openldap":
            last_binds = {normalize_dn(p): when for p, when in last_successful_binds(run.context).items()}
            principals = with_last_use(principals, last_binds)
        run.recorder.count(Count.GROUPS, inventory.groups_read)
    store_inventory(run.context, run.recorder, InventoryBatch(
        principals=principals, grants=grants, settings=settings,
        complete_principal_kinds=frozenset({kind}) if inventory else frozenset(),
        complete_grant_kinds=frozenset({"directory_group"}) if inventory else frozenset(),
        complete_setting_kinds=_complete_setting_kinds(flavor, settings, run.psos_read),
    ), now=run.now)


def _complete_setting_kinds(flavor: str, settings: list[SettingRecord] | None, psos_read: bool) -> frozenset[str]:
    """The setting kinds read completely (unseen ones are marked gone); PSOs only when the container was read."""
    if settings is None:
        return frozenset()
    if flavor != "active_directory":
        return frozenset({"ldap.ppolicy"})
    return frozenset({"ad.domain_policy", PSO_KIND} if psos_read else {"ad.domain_policy"})


# -- the run ------------------------------------------------------------------------------------------------


def _summary(run: LdapRun) -> Text:
    names = ", ".join(run.failed_parts)
    first = run.recorder.errors[0] if run.recorder.errors else {}
    return t(f"失敗した処理: {names}。{first.get('reason_ja', '')}",
             f"failed parts: {names}. {first.get('reason_en', '')}")


def collect(context: CollectContext) -> CollectionRun:
    """Collect one LDAP / Active Directory source (called by ``vendorwatch collect``).

    The run records what worked and what did not; it fails only when the directory cannot be reached or the
    inventory cannot be read.
    """
    source = context.source
    if not isinstance(source, LdapSource):
        raise ConfigError(t(f"ソース {source.id} は ldap ではありません", f"source {source.id} is not an ldap source"))
    recorder = RunRecorder(context.engine, source.id, context.clock)
    run = LdapRun(context, source, recorder, context.clock.now(), dict(recorder.checkpoint or {}))
    try:
        base_dn = _base_dn(context, source)
        directory = connect(source, read_password(source))
    except VendorWatchError as error:
        recorder.error("connect", error.message, error.details)
        return recorder.finish("failed", error_text=error_text(error.message, error.details))
    settings: list[SettingRecord] | None = None
    inventory: Inventory | None = None
    try:
        try:
            settings, book = read_policy(directory, source, base_dn, recorder)
            run.psos_read = book.psos_readable
        except VendorWatchError as error:
            _fail(run, "policy", error)
            book = PolicyBook()
        try:
            entries = get_directory_entries(directory, base_dn, source.flavor)
            inventory = transform_inventory(entries, source.flavor, book, source.privileged_groups, run.now)
        except VendorWatchError as error:
            _fail(run, "inventory", error)
        try:
            collect_accesslog(run, directory)
        except VendorWatchError as error:
            _fail(run, "accesslog", error)
    finally:
        directory.close()
    collect_stats_log(run)
    load_inventory(run, settings, inventory)
    if "inventory" in run.failed_parts:
        return recorder.finish("failed", error_text=_summary(run))
    return recorder.finish(error_text=_summary(run) if run.failed_parts else None)

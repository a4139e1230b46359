"""``vendorwatch collect`` for an ``ldap`` source: policy, accounts and groups, accesslog, stats log.

When a source has both the accesslog and a stats log, binds are taken from the stats log only (it has the
client IP; the same login is not counted twice) and the accesslog gives the writes.

Order matters: access logs are stored first so that an OpenLDAP account's ``last_used_at`` can be the newest
successful bind they show. Each part either completes or leaves nothing behind: the inventory is loaded in one
transaction only after every account and group was read; a log's checkpoint moves only past what was stored.
A failure is recorded on the run with a bilingual message, and the other parts still run.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select
from sqlmodel import Session

from connectors.ldap import accesslog, logfiles
from connectors.ldap.connection import Directory, connect, read_password
from connectors.ldap.inventory import Inventory, PolicyBook, get_inventory, normalize_dn, with_last_use
from connectors.ldap.policy import get_ad_policy, get_ppolicies, lockout_rule
from connectors.ldap.statslog import StatsLogParser, StatsState
from vendorwatch.db.tables import AccessEvent, CollectionRun
from vendorwatch.errors import ConfigError, VendorWatchError
from vendorwatch.i18n import Text, t
from vendorwatch.ingest.context import CollectContext
from vendorwatch.ingest.events import EventWriter
from vendorwatch.ingest.inventory import InventoryScope, load_grants, load_principals, load_settings
from vendorwatch.ingest.runs import RunRecorder
from vendorwatch.records import AccessEventRecord, SettingRecord
from vendorwatch.registry.models import LdapSource


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


def _message(error: VendorWatchError) -> str:
    return "; ".join([error.message.both(), *error.details])


class LdapCollection:
    """One collection run of one LDAP source."""

    def __init__(self, context: CollectContext, source: LdapSource) -> None:
        self.context = context
        self.source = source
        self.recorder = RunRecorder(context.engine, source.id, context.clock)
        self.now = context.clock.now()
        self.checkpoint: dict[str, Any] = dict(self.recorder.checkpoint or {})
        self.failed_parts: list[str] = []

    @property
    def engine(self) -> Engine:
        """The database."""
        return self.context.engine

    def writer(self) -> EventWriter:
        """An event writer for this run."""
        return EventWriter(self.engine, source_id=self.source.id, vendor_id=self.context.vendor.id,
                           run_id=self.recorder.run_id)

    def tag(self, event: AccessEventRecord) -> AccessEventRecord:
        """The event with its environment from the registry."""
        return self.context.index.tag(event, self.source.environment)

    def fail(self, part: str, error: VendorWatchError) -> None:
        """Record that one part could not be done."""
        self.failed_parts.append(part)
        self.recorder.error(part, _message(error))

    # -- parts ----------------------------------------------------------------------------------------------

    def read_policy(self, directory: Directory, base_dn: str) -> tuple[list[SettingRecord], PolicyBook]:
        """The password policies and the lock rules they imply."""
        if self.source.flavor == "active_directory":
            settings = get_ad_policy(directory, base_dn)
            return settings, PolicyBook(default=lockout_rule(settings[0]))
        settings = get_ppolicies(directory, base_dn)
        present = [s for s in settings if s.data.get("present")]
        book = PolicyBook(rules={normalize_dn(s.subject): lockout_rule(s) for s in present})
        if len(present) == 1:
            # With a single policy it is the default one (the default's DN lives in cn=config, out of reach).
            book.default = lockout_rule(present[0])
        return settings, book

    def read_accesslog(self, directory: Directory) -> None:
        """New accesslog entries into events; the checkpoint moves to the newest stored ``reqStart``."""
        base = self.source.accesslog_base
        if self.source.flavor != "openldap" or not base:
            return
        since = (self.checkpoint.get("accesslog") or {}).get("req_start")
        entries = accesslog.get_accesslog(directory, base, since)
        writer = self.writer()
        read = skipped = 0
        # With a stats log too, binds come from it (with the client IP); keeping the accesslog's copy as well
        # would count every login twice.
        keep_binds = not self.source.stats_log
        for entry in entries:
            event = accesslog.transform_entry(entry)
            if event is None:
                continue
            if event.action == "bind" and not keep_binds:
                skipped += 1
                continue
            writer.add(self.tag(event))
            read += 1
        if skipped:
            self.recorder.count("accesslog_binds_left_to_stats_log", skipped)
        counts = writer.flush()
        self.recorder.count("accesslog_read", read)
        self.recorder.count("events_stored", counts.stored)
        self.recorder.count("events_duplicate", counts.duplicate)
        newest = accesslog.newest_start(entries)
        if newest:
            self.checkpoint["accesslog"] = {"req_start": newest}
            self.recorder.save_checkpoint(dict(self.checkpoint))

    def read_stats_log(self) -> None:
        """New stats log lines into bind events, rotation handled; state and offset saved together."""
        if not self.source.stats_log:
            return
        path = Path(self.source.stats_log)
        saved = self.checkpoint.get("stats_log") or {}
        position = logfiles.FilePosition.from_json(saved.get("position"))
        parser = StatsLogParser(StatsState.from_json(saved.get("state")), reference=self.now,
                                timezone=ZoneInfo(self.source.stats_log_timezone))
        writer = self.writer()
        try:
            segments = logfiles.plan(path, position)
        except OSError as error:
            self.fail("stats_log", VendorWatchError(t(
                f"stats ログ {path} を読めません", f"cannot read the stats log {path}"), details=[str(error)]))
            return
        reached = position
        try:
            for segment in segments:
                for note in segment.notes:
                    self.recorder.error(f"stats_log:{segment.path}", note)
                reached = logfiles.FilePosition(str(segment.path), segment.inode, segment.offset)
                number = 1
                for lines, end in logfiles.complete_chunks(segment):
                    for event in parser.feed_lines(lines, str(segment.path), number):
                        writer.add(self.tag(event))
                    number += len(lines)
                    reached.offset = end
                if segment.finished:
                    reached = None  # the rotated file is done; the next segment starts the new one
        except OSError as error:
            self.fail("stats_log", VendorWatchError(t(
                f"stats ログ {path} の読み込みが途中で失敗しました", f"reading the stats log {path} failed midway"),
                details=[str(error)]))
        counts = writer.flush()
        for garbled in parser.garbled:
            self.recorder.error(f"stats_log:{garbled.where}", f"{garbled.reason}: {garbled.text}")
        self.recorder.count("stats_lines", parser.counts.lines)
        self.recorder.count("stats_binds", parser.counts.binds)
        if parser.counts.garbled:
            self.recorder.count("stats_garbled", parser.counts.garbled)
        self.recorder.count("events_stored", counts.stored)
        self.recorder.count("events_duplicate", counts.duplicate)
        if reached is not None:
            reached.path = str(path) if reached.inode == logfiles.file_identity(path) else reached.path
            self.checkpoint["stats_log"] = {"position": reached.to_json(), "state": parser.state.to_json()}
            self.recorder.save_checkpoint(dict(self.checkpoint))

    def last_binds(self) -> dict[str, datetime]:
        """The newest successful bind per account in this source's stored events."""
        statement = (
            select(AccessEvent.principal, func.max(AccessEvent.event_time))  # type: ignore[call-overload]
            .where(AccessEvent.source_id == self.source.id, AccessEvent.action == "bind",
                   AccessEvent.outcome == "success")
            .group_by(AccessEvent.principal)
        )
        with Session(self.engine) as session:
            return {normalize_dn(p): when for p, when in session.execute(statement) if p and when}

    def load(self, settings: list[SettingRecord] | None, inventory: Inventory | None) -> None:
        """Settings and inventory in one transaction; unseen rows of the kinds read completely are marked gone."""
        kind = "ad_account" if self.source.flavor == "active_directory" else "ldap_account"
        policy_kind = "ad.domain_policy" if self.source.flavor == "active_directory" else "ldap.ppolicy"
        scope = InventoryScope(
            source_id=self.source.id, vendor_id=self.context.vendor.id, environment_id=self.source.environment,
            run_id=self.recorder.run_id, now=self.now,
            complete_principal_kinds=frozenset({kind}) if inventory else frozenset(),
            complete_grant_kinds=frozenset({"directory_group"}) if inventory else frozenset(),
            complete_setting_kinds=frozenset({policy_kind}) if settings is not None else frozenset(),
        )
        with Session(self.engine) as session:
            if settings is not None:
                result = load_settings(session, scope, settings)
                self.recorder.count("settings", len(settings))
                self.recorder.count("settings_gone", result.gone)
            if inventory is not None:
                principals = inventory.principals
                if self.source.flavor == "openldap":
                    principals = with_last_use(principals, self.last_binds())
                loaded = load_principals(session, scope, principals)
                grants = load_grants(session, scope, inventory.grants)
                self.recorder.count("principals", len(principals))
                self.recorder.count("principals_added", loaded.added)
                self.recorder.count("principals_gone", loaded.gone)
                self.recorder.count("groups", inventory.groups_read)
                self.recorder.count("grants", len(inventory.grants))
                self.recorder.count("grants_gone", grants.gone)
            session.commit()

    # -- the run --------------------------------------------------------------------------------------------

    def run(self) -> CollectionRun:
        """Collect everything the source offers; the run records what worked and what did not."""
        try:
            base_dn = _base_dn(self.context, self.source)
            directory = connect(self.source, read_password(self.source))
        except VendorWatchError as error:
            self.recorder.error("connect", _message(error))
            return self.recorder.finish("failed", error_text=_message(error))
        settings: list[SettingRecord] | None = None
        inventory: Inventory | None = None
        try:
            try:
                settings, book = self.read_policy(directory, base_dn)
            except VendorWatchError as error:
                self.fail("policy", error)
                book = PolicyBook()
            try:
                inventory = get_inventory(directory, base_dn, self.source.flavor, book,
                                          self.source.privileged_groups, self.now)
            except VendorWatchError as error:
                self.fail("inventory", error)
            try:
                self.read_accesslog(directory)
            except VendorWatchError as error:
                self.fail("accesslog", error)
        finally:
            directory.close()
        self.read_stats_log()
        self.load(settings, inventory)
        if "inventory" in self.failed_parts:
            return self.recorder.finish("failed", error_text=self._summary())
        return self.recorder.finish(error_text=self._summary() if self.failed_parts else None)

    def _summary(self) -> str:
        first = self.recorder.errors[0]["reason"] if self.recorder.errors else ""
        parts: Text = t("失敗した処理: ", "failed parts: ")
        return f"{parts.both()}{', '.join(self.failed_parts)}. {first}"


def collect(context: CollectContext) -> CollectionRun:
    """Collect one LDAP / Active Directory source (called by ``vendorwatch collect``)."""
    source = context.source
    if not isinstance(source, LdapSource):
        raise ConfigError(t(f"ソース {source.id} は ldap ではありません", f"source {source.id} is not an ldap source"))
    return LdapCollection(context, source).run()

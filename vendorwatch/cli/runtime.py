"""What every command shares: settings, the database engine, the clock and the console.

Light to import: the database, the registry and the settings are imported when a command first asks for them,
so ``--help``, ``--version`` and commands that need none of them start without SQLAlchemy, Alembic or pydantic
models (docs/performance.md, "CLI start-up").
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.text import Text

from vendorwatch.clock import Clock, SystemClock
from vendorwatch.errors import ConfigError
from vendorwatch.i18n import t
from vendorwatch.printable import printable_lines

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from vendorwatch.ingest.context import CollectContext
    from vendorwatch.registry.models import Registry
    from vendorwatch.settings import Settings


def _settings() -> Settings:
    from vendorwatch.settings import get_settings

    return get_settings()


@dataclass
class Runtime:
    """Built once per CLI invocation by the app callback."""

    settings: Settings = field(default_factory=_settings)
    database_url: str | None = None
    config: Path | None = None  # the global ``--config``
    debug: bool = False
    clock: Clock = field(default_factory=SystemClock)
    console: Console = field(default_factory=lambda: _console(stderr=False))
    err: Console = field(default_factory=lambda: _console(stderr=True))

    @property
    def url(self) -> str:
        """The database URL in force (``--database-url`` over ``VENDORWATCH_DATABASE_URL``)."""
        return self.database_url or self.settings.database_url

    @cached_property
    def engine(self) -> Engine:
        """The engine, created on first use."""
        from vendorwatch.db.engine import make_engine

        return make_engine(self.url)

    def ready_engine(self) -> Engine:
        """The engine of a database that is initialized and current."""
        from vendorwatch.db.migrate import require_current

        require_current(self.engine)
        return self.engine

    def registry(self) -> Registry:
        """The registry in force: the one last imported with ``vendorwatch init``."""
        from vendorwatch.db.engine import session_scope
        from vendorwatch.registry.sync import imported_registry

        with session_scope(self.ready_engine()) as session:
            registry = imported_registry(session)
        if registry is None:
            raise ConfigError(
                t(
                    "委託先台帳がまだ取り込まれていません。`vendorwatch init` を実行してください",
                    "no vendor registry has been imported yet; run `vendorwatch init`",
                )
            )
        return registry

    def source_context(self, source_id: str, *, show_progress: bool = False,
                       kinds: tuple[str, ...] | None = None, data: str = "") -> CollectContext:
        """What a connector needs to read one source of the registry in force; a clear error if there is none.

        With ``kinds``, the source must be of one of them (``data`` names what is being imported): CloudTrail
        files never go into a directory source, nor slapd logs into an AWS one.
        """
        from vendorwatch.ingest.context import CollectContext

        engine = self.ready_engine()
        registry = self.registry()
        try:
            context = CollectContext.for_source(engine, registry, source_id, self.clock, show_progress)
        except KeyError:
            ids = [s.id for v in registry.vendors for s in v.sources]
            raise ConfigError(
                t(f"ソース {source_id} は台帳にありません", f"source {source_id} is not in the registry"),
                details=[f"sources: {', '.join(ids) or '-'}"],
            ) from None
        if kinds is not None and context.source.kind not in kinds:
            fitting = [s.id for v in registry.vendors for s in v.sources if s.kind in kinds]
            raise ConfigError(
                t(f"{data} はソース {source_id}（kind: {context.source.kind}）には取り込めません。"
                  f"kind が {' / '.join(kinds)} のソースを指定してください",
                  f"{data} cannot go into source {source_id} (kind: {context.source.kind}); "
                  f"name a source of kind {' or '.join(kinds)}"),
                details=[f"sources: {', '.join(fitting) or '-'}"],
            )
        return context

    def config_path(self, override: Path | None) -> Path:
        """``--config`` over ``VENDORWATCH_CONFIG`` over ``./vendorwatch.yaml``."""
        return self.settings.config_path(override or self.config)


class SafeConsole(Console):
    """A console that shows every string it renders (printed, a table cell, a tree label) with its control and
    bidirectional characters escaped; line breaks stay (the CLI's own layout). Fields from outside are further
    made one line by ``vendorwatch.printable.printable`` where they are printed."""

    def render_str(self, text: str, **options: Any) -> Text:
        return super().render_str(printable_lines(text), **options)


def _console(*, stderr: bool) -> Console:
    """A console; when output goes to a file or pipe, wide enough not to cut lines."""
    # Markup and emoji codes off: what the CLI prints comes largely from vendor systems, the registry and the
    # database, and ``[bold red]`` in a DN or ``:100:`` in a line reference is data. Our own styling is given
    # as ``rich.text.Text`` (see ``vendorwatch.cli.text``).
    safe = {"markup": False, "emoji": False, "highlight": False}
    console = SafeConsole(stderr=stderr, soft_wrap=True, **safe)  # type: ignore[arg-type]
    # A terminal's real width, or ``COLUMNS`` (rich reads it); a pipe or file without COLUMNS gets 200 columns.
    if not console.is_terminal and not os.environ.get("COLUMNS"):
        console = SafeConsole(stderr=stderr, soft_wrap=True, width=200, **safe)  # type: ignore[arg-type]
    return console


_current: Runtime | None = None


def set_runtime(runtime: Runtime) -> None:
    """Install the runtime for this invocation."""
    global _current
    _current = runtime


def runtime() -> Runtime:
    """The runtime of this invocation."""
    if _current is None:
        set_runtime(Runtime())
    assert _current is not None
    return _current

"""``vendorwatch scheduler [--run-pending]``: the scheduler service, or one pass of what is due (cron, timers)."""

from __future__ import annotations

import logging
import signal
import sys
from types import FrameType
from typing import Annotated

import typer

from vendorwatch.cli.runtime import runtime


def _log_to_stderr(debug: bool) -> None:
    logging.basicConfig(stream=sys.stderr, level=logging.DEBUG if debug else logging.INFO,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if not debug:
        logging.getLogger("apscheduler").setLevel(logging.WARNING)


def scheduler(
    run_pending: Annotated[bool, typer.Option(
        "--run-pending", help="run what is due or was missed once, then exit / 期限の来たジョブを一度だけ実行して終了",
    )] = False,
) -> None:
    """スケジューラ / The scheduler: collections, evaluation, reminders, alerts and the digest (SIGTERM to stop)."""
    from scheduler.service import SchedulerService, ServiceOptions

    current = runtime()
    engine = current.ready_engine()
    current.registry()  # a clear error now when nothing was imported yet
    _log_to_stderr(current.debug)
    service = SchedulerService(engine, current.clock, ServiceOptions.from_settings(current.settings))

    def stop(signum: int, _frame: FrameType | None) -> None:
        logging.getLogger(__name__).info("signal %s: finishing the running jobs, then exiting", signum)
        service.stop()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    if not run_pending:
        service.run()
        return
    report = service.run_pending()
    if report.active_elsewhere is not None:
        current.console.print(
            f"別のスケジューラが稼働中のため何もしません / another scheduler is active, nothing done: "
            f"{report.active_elsewhere}", markup=False, highlight=False)
        return
    current.console.print(f"実行 / ran: {', '.join(report.ran) or '-'}", markup=False, highlight=False)


def register(app: typer.Typer) -> None:
    """Add ``scheduler`` to the app."""
    app.command("scheduler")(scheduler)

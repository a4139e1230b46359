"""The ``vendorwatch`` Typer app: global options, command discovery and error rendering.

Every module ``vendorwatch/cli/*_cmd.py`` has a ``register(app)`` that adds its commands, so a new command
is a new file. Commands of parts not built yet come last from ``pending.py`` and say so (exit 2).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback
from typing import Annotated

import typer

from vendorwatch.cli import pending
from vendorwatch.cli.runtime import Runtime, runtime, set_runtime
from vendorwatch.cli.text import styled
from vendorwatch.errors import VendorWatchError

app = typer.Typer(
    name="vendorwatch",
    help="VendorWatch — 外部委託先モニタリング (JSDA IV.3(2)). Monitoring of outsourced vendors.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


@app.callback()
def _global(
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="SQLAlchemy URL (default VENDORWATCH_DATABASE_URL)")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="show stack traces / スタックトレースを表示")] = False,
) -> None:
    """VendorWatch — 外部委託先モニタリング. Run `vendorwatch init` first."""
    set_runtime(Runtime(database_url=database_url, debug=debug))


def _register_commands() -> None:
    import vendorwatch.cli as package

    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module.name.endswith("_cmd"):
            importlib.import_module(f"vendorwatch.cli.{module.name}").register(app)
    pending.register(app)


_register_commands()


def main() -> None:
    """Entry point: run the app and render user errors once, in Japanese and English."""
    try:
        code = app(standalone_mode=False)
        # click returns the code of typer.Exit instead of raising it when not standalone
        sys.exit(code if isinstance(code, int) else 0)
    except VendorWatchError as error:
        current = runtime()
        if current.debug:
            traceback.print_exc()
        current.err.print(styled(("エラー / error:", "bold red"), " ", error.message.both()))
        for line in error.details:
            current.err.print(styled("  ", line))
        sys.exit(error.exit_code)
    except typer.Exit as done:
        sys.exit(done.exit_code)
    except typer.Abort:
        sys.exit(130)
    except Exception as error:  # click usage errors and the unexpected
        show = getattr(error, "show", None)
        if callable(show) and isinstance(getattr(error, "exit_code", None), int):  # click's ClickException family
            show()
            sys.exit(2)
        if runtime().debug:
            raise
        _unexpected(error)
        sys.exit(3)


def _unexpected(error: BaseException) -> None:
    """One line on stderr, whatever the error holds (SQL text, markup, control characters): never a traceback."""
    first = (str(error).strip().splitlines() or [""])[0]
    if len(first) > 300:
        first = first[:300] + "…"
    try:
        runtime().err.print(styled(("予期しないエラー / unexpected error:", "bold red"),
                                   f" {type(error).__name__}: {first} (--debug で詳細 / details with --debug)"))
    except Exception:  # the console itself failed (closed stream, broken encoding): plain text, still one line
        sys.stderr.write(f"unexpected error: {type(error).__name__}\n")

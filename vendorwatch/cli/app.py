"""The ``vendorwatch`` Typer app: global options, command discovery and error rendering.

Every module ``vendorwatch/cli/*_cmd.py`` has a ``register(app)`` that adds its commands, so a new command
is a new file. Commands of parts not built yet come last from ``pending.py`` and say so (exit 2).
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import traceback
from pathlib import Path
from typing import Annotated

import typer

from vendorwatch import __version__
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
    context_settings={"help_option_names": ["-h", "--help"]},
)

# Options of the whole program, accepted before or after the subcommand (``vendorwatch findings --database-url
# URL`` as well as ``vendorwatch --database-url URL findings``): ``main`` moves them to the front.
GLOBAL_WITH_VALUE = ("--database-url", "--config")
GLOBAL_FLAGS = ("--debug",)


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"vendorwatch {__version__}")
        raise typer.Exit(0)


@app.callback()
def _global(
    database_url: Annotated[
        str | None, typer.Option("--database-url", help="データベース URL（既定 VENDORWATCH_DATABASE_URL）/ SQLAlchemy "
                                                        "URL (default VENDORWATCH_DATABASE_URL)")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="委託先台帳ファイル（既定 VENDORWATCH_CONFIG、./vendorwatch.yaml）/ "
                                                    "registry file (default VENDORWATCH_CONFIG, ./vendorwatch.yaml)")
    ] = None,
    debug: Annotated[bool, typer.Option("--debug", help="スタックトレースを表示 / show stack traces")] = False,
    version: Annotated[bool, typer.Option("--version", is_eager=True, callback=_show_version,
                                          help="版を表示 / show the version")] = False,
) -> None:
    """VendorWatch — 外部委託先モニタリング. Run `vendorwatch init` first."""
    set_runtime(Runtime(database_url=database_url, config=config, debug=debug))


def hoist_global_options(args: list[str]) -> list[str]:
    """The arguments with the program's own options moved before the subcommand (``--`` ends the search)."""
    front: list[str] = []
    rest: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            rest += args[index:]
            break
        name = arg.split("=", 1)[0]
        if name in GLOBAL_WITH_VALUE:
            taken = 1 if "=" in arg else 2
            front += args[index:index + taken]
            index += taken
            continue
        (front if arg in GLOBAL_FLAGS else rest).append(arg)
        index += 1
    return front + rest


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
        code = app(args=hoist_global_options(sys.argv[1:]), prog_name="vendorwatch", standalone_mode=False)
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

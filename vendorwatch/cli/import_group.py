"""The ``vendorwatch import`` group; each file format adds its command from its own ``import_*_cmd.py``."""

from __future__ import annotations

import typer

import_app = typer.Typer(help="ファイルからの取込み / Import exported log files.", no_args_is_help=True)

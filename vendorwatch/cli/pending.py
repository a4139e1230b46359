"""Commands of DESIGN.md whose part is not built yet: they say so and exit 2, never print a made-up result."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from vendorwatch.errors import NotBuiltError
from vendorwatch.i18n import t

# command -> (Japanese, English) description of what will provide it
PENDING: dict[str, tuple[str, str]] = {
    "scheduler": ("スケジューラ", "the scheduler"),
}
PENDING_GROUPS: dict[str, dict[str, tuple[str, str]]] = {}


def _not_built(name: str, ja: str, en: str) -> Callable[[list[str] | None], None]:
    def command(args: Annotated[list[str] | None, typer.Argument(hidden=True)] = None) -> None:
        raise NotBuiltError(
            t(f"`{name}`（{ja}）はまだ実装されていません", f"`{name}` ({en}) is not built yet")
        )

    command.__doc__ = f"[未実装 / not built yet] {ja} / {en}"
    return command


def _taken(app: typer.Typer) -> set[str]:
    names = {c.name or (c.callback.__name__ if c.callback else "") for c in app.registered_commands}
    return names | {g.name or "" for g in app.registered_groups}


def register(app: typer.Typer) -> None:
    """Add a placeholder for every command no module has registered yet."""
    taken = _taken(app)
    for name, (ja, en) in PENDING.items():
        if name not in taken:
            app.command(name, context_settings={"ignore_unknown_options": True, "allow_extra_args": True})(
                _not_built(name, ja, en)
            )
    for group_name, commands in PENDING_GROUPS.items():
        if group_name in taken:
            continue
        group = typer.Typer(help="[未実装 / not built yet]")
        for name, (ja, en) in commands.items():
            group.command(name, context_settings={"ignore_unknown_options": True, "allow_extra_args": True})(
                _not_built(f"{group_name} {name}", ja, en)
            )
        app.add_typer(group, name=group_name)

"""``vendorwatch user add|list|disable|enable|reset|role``: staff accounts of the dashboard (every change audited)."""

from __future__ import annotations

import getpass
import sys
from typing import Annotated

import typer

from vendorwatch.cli.runtime import runtime
from vendorwatch.clock import local_time
from vendorwatch.errors import ConfigError
from vendorwatch.i18n import t
from vendorwatch.masking import mask_email

user_app = typer.Typer(help="ダッシュボードの利用者 / Staff accounts of the dashboard.", no_args_is_help=True)

Name = Annotated[str, typer.Argument(metavar="NAME", help="account name / アカウント名")]
Actor = Annotated[str | None, typer.Option("--actor", help="who makes the change / 変更者 "
                                                             "(default VENDORWATCH_ACTOR or the OS user)")]
PasswordStdin = Annotated[bool, typer.Option("--password-stdin",
                                             help="read the password from standard input / 標準入力から読む")]


def read_password(*, from_stdin: bool) -> str:
    """From standard input (first line) when asked or when it is not a terminal; else twice, without echo."""
    if from_stdin or not sys.stdin.isatty():
        line = sys.stdin.readline()
        password = line.rstrip("\r\n")
        if not password:
            raise ConfigError(t("標準入力からパスワードを読めませんでした", "no password on standard input"))
        return password
    first = getpass.getpass("パスワード / password: ")
    second = getpass.getpass("もう一度 / again: ")
    if first != second:
        raise ConfigError(t("2 回の入力が一致しません", "the two passwords differ"))
    return first


@user_app.command("add")
def add(
    name: Name,
    role: Annotated[str, typer.Option("--role", help="役割 / viewer | manager | admin")],
    email: Annotated[str | None, typer.Option("--email", help="e-mail (OIDC sign-in matches it) / メールアドレス")] = None,
    display_name: Annotated[str | None, typer.Option("--display-name", help="name shown / 表示名")] = None,
    no_password: Annotated[bool, typer.Option("--no-password",
                                              help="OIDC sign-in only, no local password / OIDC のみ")] = False,
    password_stdin: PasswordStdin = False,
    actor: Actor = None,
) -> None:
    """利用者を追加 / Add an account (password read without echo, or from standard input)."""
    from vendorwatch.db.engine import session_scope
    from vendorwatch.staff import accounts
    from vendorwatch.staff.roles import LABELS, Role

    current = runtime()
    engine = current.ready_engine()
    password = None if no_password else read_password(from_stdin=password_stdin)
    with session_scope(engine) as session:
        user = accounts.add_user(session, name=name, role=role, password=password, email=email,
                                 display_name=display_name, actor=current.settings.actor_name(actor), clock=current.clock)
        label = LABELS[Role(user.role)]
    current.console.print(f"アカウント {user.name} を追加しました（{label.ja}） / added {user.name} ({label.en})",
                          highlight=False, markup=False)


@user_app.command("list")
def list_(unmask: Annotated[bool, typer.Option("--unmask", help="show e-mail addresses / メールを表示")] = False) -> None:
    """利用者の一覧 / List the accounts."""
    from rich.table import Table

    from vendorwatch import audit
    from vendorwatch.db.engine import session_scope
    from vendorwatch.staff import accounts

    current = runtime()
    now = current.clock.now()
    table = Table(title="利用者 / staff accounts", title_justify="left")
    for column in ("名前 name", "役割 role", "メール e-mail", "方式 sign-in", "状態 state", "最終ログイン last sign-in"):
        table.add_column(column, overflow="fold")
    with session_scope(current.ready_engine()) as session:
        for user in accounts.list_users(session):
            if user.disabled_at is not None:
                state = "無効 disabled"
            elif user.locked_until is not None and user.locked_until > now:
                state = f"ロック中 locked until {local_time(user.locked_until)}"
            else:
                state = "有効 active"
            email = user.email or ""
            table.add_row(user.name, user.role, email if unmask or not email else mask_email(email),
                          "password" if user.password_hash else "OIDC", state, local_time(user.last_signin_at))
    if unmask:
        with session_scope(current.ready_engine()) as session:
            audit.record(session, actor=current.settings.actor_name(None), action="personal_data.unmask",
                         target="cli:user list", details={"reason": "user list --unmask"}, clock=current.clock)
    current.console.print(table)


@user_app.command("disable")
def disable(name: Name, actor: Actor = None) -> None:
    """利用者を無効化 / Disable an account (it can no longer sign in)."""
    from vendorwatch.db.engine import session_scope
    from vendorwatch.staff import accounts

    current = runtime()
    with session_scope(current.ready_engine()) as session:
        accounts.set_disabled(session, name, disabled=True, actor=current.settings.actor_name(actor), clock=current.clock)
    current.console.print(f"{name} を無効にしました / disabled {name}", highlight=False, markup=False)


@user_app.command("enable")
def enable(name: Name, actor: Actor = None) -> None:
    """利用者を再度有効化 / Enable a disabled account again."""
    from vendorwatch.db.engine import session_scope
    from vendorwatch.staff import accounts

    current = runtime()
    with session_scope(current.ready_engine()) as session:
        accounts.set_disabled(session, name, disabled=False, actor=current.settings.actor_name(actor), clock=current.clock)
    current.console.print(f"{name} を有効にしました / enabled {name}", highlight=False, markup=False)


@user_app.command("reset")
def reset(name: Name, password_stdin: PasswordStdin = False, actor: Actor = None) -> None:
    """パスワードを再設定（ロック解除）/ Set a new password and lift a lockout."""
    from vendorwatch.db.engine import session_scope
    from vendorwatch.staff import accounts

    current = runtime()
    engine = current.ready_engine()
    password = read_password(from_stdin=password_stdin)
    with session_scope(engine) as session:
        accounts.reset_password(session, name, password, actor=current.settings.actor_name(actor), clock=current.clock)
    current.console.print(f"{name} のパスワードを再設定しました / password of {name} reset", highlight=False,
                          markup=False)


@user_app.command("role")
def role(name: Name, new_role: Annotated[str, typer.Argument(metavar="ROLE", help="役割 / viewer | manager | admin")],
         actor: Actor = None) -> None:
    """役割を変更 / Give an account another role."""
    from vendorwatch.db.engine import session_scope
    from vendorwatch.staff import accounts

    current = runtime()
    with session_scope(current.ready_engine()) as session:
        user = accounts.set_role(session, name, new_role, actor=current.settings.actor_name(actor), clock=current.clock)
    current.console.print(f"{user.name} → {user.role}", highlight=False, markup=False)


def register(app: typer.Typer) -> None:
    """Add the ``user`` group to the app."""
    app.add_typer(user_app, name="user")

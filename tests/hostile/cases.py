"""The table of hostile inputs and tamper attempts: one row per case, run by ``test_hostile_inputs.py``.

To add a case, append a ``Case``: an input maker (writes files or tampers with the database, returns the
command line), the exit code expected, fragments the output must (and must never) contain, and what the
database must hold afterwards (SQL -> value). Makers are plain functions below, grouped by what they attack.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.hostile.harness import Maker, Workspace

EVENTS = "SELECT count(*) FROM access_events"
AUDIT_ENTRIES = "SELECT count(*) FROM audit_log"
NEVER: tuple[str, ...] = ("Traceback", "unexpected error", "予期しないエラー")  # said by no case


@dataclass(frozen=True)
class Case:
    """One hostile input: what is done, and how VendorWatch must answer."""

    id: str
    make: Maker
    exit_code: int
    says: tuple[str, ...] = ()  # fragments of stdout + stderr
    never_says: tuple[str, ...] = NEVER
    stored: dict[str, Any] = field(default_factory=dict)  # SQL -> the value it must give afterwards
    json: Callable[[Any], None] | None = None  # asserts on the --json document
    database: bool = True  # False: the case needs no database (registry checks)
    databases: tuple[str, ...] = ("sqlite",)  # storage cases run on PostgreSQL too



# --- the registry ------------------------------------------------------------------------------------------

def _registry(text: str | bytes, command: str = "check") -> Maker:
    def make(ws: Workspace) -> list[str]:
        ws.write("vendorwatch.yaml", text)
        return ["config", "check", str(ws.registry)] if command == "check" else [command]
    return make


def alias_bomb() -> str:
    """Nine levels of nine aliases ("billion laughs"): 370 bytes that expand to 387 million values."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for previous, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    return "\n".join(lines) + "\n"


def deep_block(levels: int = 200) -> str:
    return "version: 1\nvendors:\n" + "".join("  " * i + "- a:\n" for i in range(levels))


def deep_flow(levels: int = 100_000) -> str:
    return "version: 1\nvendors: " + "[" * levels + "]" * levels + "\n"


def huge(megabytes: int = 22) -> str:
    return "version: 1\nvendors: []\n" + "# padding padding padding padding padding padding padding\n" * (
        megabytes * 1024 * 1024 // 58)


SECRET = "P@ssw0rd!2024"


def secret_in_env_name(ws: Workspace) -> list[str]:
    from tests.hostile.world import REGISTRY

    ws.write("vendorwatch.yaml", REGISTRY.replace("password_env: VW_ACME_LDAP_PASSWORD", f'password_env: "{SECRET}"'))
    return ["config", "check"]


REGISTRY_CASES = [
    Case("registry-alias-bomb", _registry(alias_bomb()), 2, says=("aliases (*name) expand to too many values",
                                                                   "エイリアス")),
    Case("registry-alias-bomb-init", _registry(alias_bomb(), "init"), 2, says=("aliases (*name)",)),
    Case("registry-deep-block-nesting", _registry(deep_block()), 2, says=("nested too deeply", "入れ子が深すぎます")),
    Case("registry-deep-flow-nesting", _registry(deep_flow()), 2, says=("nesting depth", "YAML の構文エラー")),
    Case("registry-nul-byte", _registry("version: 1\nvendors: []\x00\n"), 2, says=("NUL", "vendorwatch.yaml:2")),
    Case("registry-nul-escape", _registry('version: 1\norganization: {name: {ja: "a\\0b", en: x}}\nvendors: []\n'),
         2, says=("the NUL character",)),
    Case("registry-control-character", _registry("version: 1\nvendors: []\x07\n"), 2,
         says=("a character YAML does not allow",)),
    Case("registry-22-megabytes", _registry(huge()), 2, says=("the file is too large", "ファイルが大きすぎます")),
    Case("registry-secret-where-an-env-name-belongs", secret_in_env_name, 2,
         says=("password_env", "the value is not shown"), never_says=(*NEVER, SECRET)),
]
for _case in REGISTRY_CASES:
    object.__setattr__(_case, "database", False)

CASES: list[Case] = [*REGISTRY_CASES]

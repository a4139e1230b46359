"""Find, read and validate the registry; a bad file is rejected whole, with every problem at once."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from vendorwatch.errors import ConfigError
from vendorwatch.i18n import t
from vendorwatch.registry.crossrefs import check_references
from vendorwatch.registry.models import Registry, TransferApproval, Vendor
from vendorwatch.registry.problems import RegistryProblem
from vendorwatch.registry.secrets import find_clear_secrets
from vendorwatch.registry.validation_messages import readable_errors
from vendorwatch.registry.yaml_source import MAX_CHARS, YamlDocument, parse_yaml, too_large


class RegistryInvalidError(ConfigError):
    """The registry file has problems; ``problems`` lists every one."""

    def __init__(self, file: str, problems: list[RegistryProblem]) -> None:
        count = len(problems)
        super().__init__(
            t(f"{file}: {count} 件のエラーがあります", f"{file}: {count} error(s)"),
            details=[p.render(file) for p in problems],
        )
        self.file = file
        self.problems = problems


def validate_text(text: str, file: str = "vendorwatch.yaml") -> tuple[Registry | None, list[RegistryProblem]]:
    """Validate registry text; returns the registry (when valid) and every problem found."""
    document = parse_yaml(text)
    if document.problems and document.root is None:
        return None, document.problems
    problems = list(document.problems)
    secrets = list(find_clear_secrets(document.data))
    problems.extend(secrets)
    secret_paths = {p.path for p in secrets}
    if not isinstance(document.data, dict):
        problems.append(
            RegistryProblem(
                path=(),
                message=t("ファイルの最上位はマッピングでなければなりません", "the top level must be a mapping"),
            )
        )
        return None, _with_lines(document, problems)
    registry: Registry | None = None
    try:
        registry = Registry.model_validate(document.data)
    except ValidationError as exc:
        for loc, message in readable_errors(exc.errors(), Registry):
            path = _without_union_tags(loc)
            if any(path[: len(s)] == s for s in secret_paths):
                continue  # already reported as a clear secret, without echoing it
            problems.append(RegistryProblem(path=path, message=message))
    if registry is not None:
        problems.extend(check_references(registry))
    else:
        problems.extend(_references_of_valid_parts(document.data))
    problems = _with_lines(document, problems)
    return (registry if not problems else None), problems


_SOURCE_KINDS = {"aws", "ldap", "files"}


def _valid_items(raw: Any, model: type[BaseModel]) -> tuple[list[Any], list[int]]:
    """The items of a raw list that validate on their own, with their positions in the file."""
    items: list[Any] = []
    positions: list[int] = []
    for position, item in enumerate(raw if isinstance(raw, list) else []):
        try:
            items.append(model.model_validate(item))
        except ValidationError:
            continue
        positions.append(position)
    return items, positions


def _references_of_valid_parts(data: dict[str, Any]) -> list[RegistryProblem]:
    """Cross-reference problems among the vendors and transfers that are valid on their own.

    So that a file with a typo in one place still gets every dangling reference reported in the same run.
    """
    vendors, vendor_positions = _valid_items(data.get("vendors"), Vendor)
    transfers, transfer_positions = _valid_items(data.get("transfers"), TransferApproval)
    raw = data.get("vendors")
    raw_vendors: list[Any] = raw if isinstance(raw, list) else []
    all_ids = {str(v.get("id")) for v in raw_vendors if isinstance(v, dict) and v.get("id") is not None}
    # Cross-references never read the organization; model_construct skips validating what is absent.
    partial = Registry.model_construct(version=1, vendors=vendors, transfers=transfers)  # type: ignore[call-arg]
    unvalidated = frozenset(all_ids - {v.id for v in vendors})
    remapped: list[RegistryProblem] = []
    for problem in check_references(partial, unvalidated):
        path = list(problem.path)
        if len(path) >= 2 and path[0] == "vendors" and isinstance(path[1], int):
            path[1] = vendor_positions[path[1]]
        elif len(path) >= 2 and path[0] == "transfers" and isinstance(path[1], int):
            path[1] = transfer_positions[path[1]]
        remapped.append(RegistryProblem(path=tuple(path), message=problem.message))
    return remapped


def _without_union_tags(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """Pydantic puts the discriminator's value into the path (``sources[2].ldap.url``); users never wrote it."""
    out: list[str | int] = []
    for part in loc:
        if part in _SOURCE_KINDS and len(out) >= 2 and out[-2] == "sources" and isinstance(out[-1], int):
            continue
        out.append(part)
    return tuple(out)


def _with_lines(document: YamlDocument, problems: list[RegistryProblem]) -> list[RegistryProblem]:
    placed = [
        p if p.line is not None else RegistryProblem(path=p.path, message=p.message, line=document.line_of(p.path))
        for p in problems
    ]
    return sorted(placed, key=lambda p: (p.line or 0, p.dotted))


def load_registry(path: Path) -> tuple[Registry, str]:
    """Read and validate a registry file; returns it with its text, or raises ``RegistryInvalidError``."""
    try:
        size = path.stat().st_size
        if size > MAX_CHARS:  # refused before reading: UTF-8 has at least one byte per character
            raise RegistryInvalidError(str(path), [too_large(size)])
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            t(
                f"設定ファイル {path} がありません（--config、VENDORWATCH_CONFIG、./vendorwatch.yaml の順に探します）",
                f"config file {path} not found (looked at --config, VENDORWATCH_CONFIG, then ./vendorwatch.yaml)",
            )
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(t(f"{path} を読めません: {exc}", f"cannot read {path}: {exc}")) from None
    registry, problems = validate_text(text, str(path))
    if registry is None:
        raise RegistryInvalidError(str(path), problems)
    return registry, text

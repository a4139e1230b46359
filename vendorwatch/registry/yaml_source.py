"""Read YAML keeping where each value stands, so errors can name the line."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from vendorwatch.i18n import t
from vendorwatch.registry.problems import RegistryProblem


@dataclass
class YamlDocument:
    """The parsed data and its node tree (for line numbers)."""

    data: Any
    root: yaml.Node | None
    problems: list[RegistryProblem] = field(default_factory=list)

    def line_of(self, path: tuple[str | int, ...]) -> int | None:
        """1-based line of the deepest node the path reaches."""
        node = self.root
        line = node.start_mark.line + 1 if node is not None else None
        for part in path:
            if isinstance(node, yaml.MappingNode) and isinstance(part, str):
                found = next((v for k, v in node.value if k.value == part), None)
                if found is None:
                    continue  # a missing key or a union tag: stay on the mapping
                node = found
            elif isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
                node = node.value[part]
            else:
                break
            line = node.start_mark.line + 1
        return line


def parse_yaml(text: str) -> YamlDocument:
    """Parse one YAML document; syntax errors and duplicate keys become problems, not exceptions."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        problem = RegistryProblem(
            path=(),
            line=line,
            message=t(f"YAML の構文エラー: {exc.problem}", f"YAML syntax error: {exc.problem}"),
        )
        return YamlDocument(data=None, root=None, problems=[problem])
    document = YamlDocument(data=data, root=root)
    if root is not None:
        _find_duplicate_keys(root, (), document.problems)
    return document


def _find_duplicate_keys(node: yaml.Node, path: tuple[str | int, ...], out: list[RegistryProblem]) -> None:
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key, value in node.value:
            name = str(key.value)
            if name in seen:
                out.append(
                    RegistryProblem(
                        path=(*path, name),
                        line=key.start_mark.line + 1,
                        message=t(
                            "同じキーが 2 回書かれています（後の値が前の値を黙って上書きします）",
                            "the same key is written twice (the second would silently replace the first)",
                        ),
                    )
                )
            seen.add(name)
            _find_duplicate_keys(value, (*path, name), out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _find_duplicate_keys(item, (*path, index), out)

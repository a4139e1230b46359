"""Read YAML keeping where each value stands, so errors can name the line.

A file is first walked as a stream of parser events, which costs little and needs no recursion, to refuse
what would make composing or validating it hang or crash before anything is built: too large, nested too
deep, aliases that expand into millions of values (a "billion laughs"), a NUL character. Only then is the node
tree composed (once) and the data constructed from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from vendorwatch.i18n import t
from vendorwatch.registry.problems import RegistryProblem

MAX_CHARS = 4 * 1024 * 1024  # a registry of several hundred vendors is well under 1 MB
MAX_DEPTH = 40  # the registry nests about 8 levels deep, a questionnaire about 10
MAX_VALUES = 400_000  # values (scalars and collections) in all; 300 vendors of 40 people each are 150,000
MAX_ALIAS_VALUES = 100_000  # of which aliases (*name) may add this many by repeating an anchor

_Loader: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when it is there


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
    """Parse one YAML document; syntax errors, unsafe shapes and duplicate keys become problems, not exceptions."""
    try:
        refused = _refuse_unsafe(text)
        if refused is not None:
            return YamlDocument(data=None, root=None, problems=[refused])
        root = yaml.compose(text, Loader=_Loader)
        data = _Loader("").construct_document(root) if root is not None else None
    except yaml.YAMLError as exc:
        return YamlDocument(data=None, root=None, problems=[_syntax_problem(text, exc)])
    document = YamlDocument(data=data, root=root)
    if root is not None:
        _find_duplicate_keys(root, (), document.problems, set())
    return document


def _refuse_unsafe(text: str) -> RegistryProblem | None:
    """The first reason not to build this document at all, found from its parser events alone."""
    if len(text) > MAX_CHARS:
        return too_large(len(text))
    depth = 0
    added = 0
    sizes: dict[str, int] = {}  # values under each anchor, aliases inside it expanded
    frames: list[tuple[str | None, int]] = []  # open collections: (anchor, values before it opened)
    values = 0
    for event in yaml.parse(text, Loader=_Loader):
        if values > MAX_VALUES:
            return RegistryProblem(
                path=(), line=_line(event),
                message=t(f"値が多すぎます（{MAX_VALUES:,} 個まで）", f"too many values (at most {MAX_VALUES:,})"),
            )
        if isinstance(event, yaml.ScalarEvent):
            values += 1
            if "\x00" in event.value:
                return RegistryProblem(path=(), line=_line(event), message=_NUL)
            if event.anchor:
                sizes[event.anchor] = 1
        elif isinstance(event, yaml.CollectionStartEvent):
            depth += 1
            if depth > MAX_DEPTH:
                return RegistryProblem(
                    path=(), line=_line(event),
                    message=t(f"入れ子が深すぎます（{MAX_DEPTH} 段まで）",
                              f"nested too deeply (at most {MAX_DEPTH} levels)"),
                )
            frames.append((event.anchor, values))
            values += 1
        elif isinstance(event, yaml.CollectionEndEvent):
            depth -= 1
            anchor, before = frames.pop()
            if anchor:
                sizes[anchor] = values - before
        elif isinstance(event, yaml.AliasEvent):
            size = sizes.get(event.anchor or "", 1)  # an undefined alias is the composer's error to report
            values += size
            added += size
            if added > MAX_ALIAS_VALUES:
                return RegistryProblem(
                    path=(), line=_line(event),
                    message=t(
                        f"エイリアス（*名前）の展開が大きすぎます（{MAX_ALIAS_VALUES:,} 値まで）。値を直接書いてください",
                        f"aliases (*name) expand to too many values (at most {MAX_ALIAS_VALUES:,}); "
                        "write the values out instead",
                    ),
                )
    return None


def _line(event: yaml.Event) -> int | None:
    return event.start_mark.line + 1 if event.start_mark is not None else None


_NUL = t("NUL 文字（\\0）は使えません", "the NUL character (\\0) is not allowed")


def too_large(size: int) -> RegistryProblem:
    """The problem of a file over ``MAX_CHARS`` (characters or, before reading, bytes)."""
    return RegistryProblem(
        path=(),
        message=t(f"ファイルが大きすぎます（{size:,}、上限 {MAX_CHARS:,} バイト）",
                  f"the file is too large ({size:,}, at most {MAX_CHARS:,} bytes)"),
    )


def _syntax_problem(text: str, exc: yaml.YAMLError) -> RegistryProblem:
    """A parser or reader error as a problem with its line; the offending text is not repeated."""
    if isinstance(exc, yaml.MarkedYAMLError):
        mark = exc.problem_mark
        line = mark.line + 1 if mark is not None else None
        problem = exc.problem or ""
    else:  # a reader error: a character YAML does not allow (libyaml and PyYAML say it differently)
        position = getattr(exc, "position", None)
        line = text.count("\n", 0, position) + 1 if isinstance(position, int) else None
        problem = "a character YAML does not allow (a control character such as NUL)"
        if "\x00" in text:
            return RegistryProblem(path=(), line=line, message=_NUL)
    return RegistryProblem(path=(), line=line,
                           message=t(f"YAML の構文エラー: {problem}", f"YAML syntax error: {problem}"))


def _find_duplicate_keys(node: yaml.Node, path: tuple[str | int, ...], out: list[RegistryProblem],
                         seen_nodes: set[int]) -> None:
    # A node reached again through an alias was checked the first time: walking it again would expand aliases.
    if id(node) in seen_nodes:
        return
    seen_nodes.add(id(node))
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
            _find_duplicate_keys(value, (*path, name), out, seen_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _find_duplicate_keys(item, (*path, index), out, seen_nodes)

"""Refuse secrets written into the registry in clear: it names where a secret is, never the secret."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from vendorwatch.i18n import t
from vendorwatch.registry.problems import RegistryProblem

_SECRET_KEY = re.compile(
    r"(^|_)(password|passwd|passphrase|secret|secret_access_key|token|session_token|api_key|apikey|"
    r"private_key|external_id|credentials?|bind_password)$",
    re.IGNORECASE,
)
_SECRET_VALUE = (
    re.compile(r"\b(AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----"),
    re.compile(r"(?i)aws_secret_access_key\s*[=:]"),
)


def find_clear_secrets(data: Any, path: tuple[str | int, ...] = ()) -> Iterator[RegistryProblem]:
    """Every place where a secret seems to be written in clear; the value itself is never repeated."""
    if isinstance(data, dict):
        for key, value in data.items():
            name = str(key)
            here = (*path, name)
            if _SECRET_KEY.search(name) and not name.endswith("_env") and value not in (None, ""):
                yield RegistryProblem(
                    path=here,
                    message=t(
                        f"秘密情報を平文で書くことはできません。環境変数名を {name}_env に書いてください",
                        f"secrets may not be written in clear; name an environment variable in {name}_env",
                    ),
                )
                continue
            yield from find_clear_secrets(value, here)
    elif isinstance(data, list):
        for index, item in enumerate(data):
            yield from find_clear_secrets(item, (*path, index))
    elif isinstance(data, str) and any(pattern.search(data) for pattern in _SECRET_VALUE):
        yield RegistryProblem(
            path=path,
            message=t(
                "認証情報（アクセスキーまたは秘密鍵）のような値が平文で書かれています",
                "a value that looks like a credential (access key or private key) is written in clear",
            ),
        )

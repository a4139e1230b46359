"""The Japanese font of the digest (IPAex Gothic, Debian's fonts-ipaexfont-gothic, installed by scripts/setup.sh)."""

from __future__ import annotations

import shutil
import subprocess
from functools import cache
from pathlib import Path

from vendorwatch.errors import ConfigError
from vendorwatch.i18n import t

FAMILY = "IPAexGothic"
_DEBIAN = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")


@cache
def font_file() -> Path:
    """The font file (where Debian puts it, else as fontconfig finds it); a clear error when it is missing."""
    if _DEBIAN.exists():
        return _DEBIAN
    fc_match = shutil.which("fc-match")
    if fc_match:
        found = subprocess.run([fc_match, "-f", "%{family}\n%{file}", FAMILY],  # noqa: S603 (fixed arguments)
                               capture_output=True, text=True, check=False, timeout=30)
        lines = found.stdout.splitlines()
        if found.returncode == 0 and len(lines) == 2 and FAMILY in lines[0] and Path(lines[1]).exists():
            return Path(lines[1])
    raise ConfigError(t("日本語フォント IPAex ゴシック（fonts-ipaexfont-gothic）がありません。"
                        "scripts/setup.sh を実行してください",
                        "the Japanese font IPAex Gothic (fonts-ipaexfont-gothic) is missing; run scripts/setup.sh"))

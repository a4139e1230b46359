"""Bilingual text: everything a user reads exists in Japanese and English."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

LANGUAGES = ("ja", "en")


class Text(BaseModel):
    """A user-facing text in Japanese and English."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    ja: str
    en: str

    def both(self, sep: str = " / ") -> str:
        """Japanese first, then English, as the CLI prints them."""
        return f"{self.ja}{sep}{self.en}"

    def get(self, language: str) -> str:
        """The text in one language (``ja`` or ``en``)."""
        return self.en if language == "en" else self.ja

    def format(self, **values: object) -> Text:
        """Fill ``{placeholders}`` in both languages."""
        return Text(ja=self.ja.format(**values), en=self.en.format(**values))


def t(ja: str, en: str) -> Text:
    """Shorthand for a bilingual text."""
    return Text(ja=ja, en=en)

"""Gunzip with ceilings: a file may not inflate beyond a size, nor beyond a ratio to its compressed size.

A megabyte of gzipped zeros inflates to a gigabyte: a decompression bomb. Inflating as a stream, a chunk at a time
with ``max_length``, stops such a file as soon as it passes a ceiling, having held one chunk in memory, and says
why. CloudTrail's JSON compresses about 10 to 30 times; nothing honest comes near ``MAX_RATIO``.
"""

from __future__ import annotations

import io
import zlib
from typing import BinaryIO

from vendorwatch.i18n import Text, t

GZIP_MAGIC = b"\x1f\x8b"
MAX_INFLATED = 1 << 30  # per file, streamed (memory stays one chunk and one line)
MAX_RATIO = 200  # inflated : compressed, judged once a file has inflated past RATIO_FROM
RATIO_FROM = 1 << 20  # below what is read at once (cloudtrail_files.DOCUMENT_LIMIT): a bomb is named a bomb
CHUNK = 1 << 16


class InflateError(Exception):
    """A gzip stream that is damaged, cut short or over a ceiling; ``reason`` says which, in both languages."""

    def __init__(self, reason: Text) -> None:
        super().__init__(reason.en)
        self.reason = reason


class TooLargeError(InflateError):
    """Over the size ceiling at an honest ratio: too large to hold, not a bomb (it may still be streamed)."""


class BombError(InflateError):
    """Inflating beyond the ratio ceiling: a decompression bomb."""


TRUNCATED = t("gzip ストリームが途中で終わっています（切り詰められたファイル）",
              "unreadable compressed data: the gzip stream ends early (truncated)")


def unreadable(detail: object) -> Text:
    """The reason of damaged compressed data."""
    return t(f"圧縮データを読めません: {detail}", f"unreadable compressed data: {detail}")


class BoundedGunzip(io.RawIOBase):
    """The inflated bytes of a gzip stream (members one after another), read with ceilings."""

    def __init__(self, compressed: BinaryIO, *, max_inflated: int = MAX_INFLATED, max_ratio: int = MAX_RATIO) -> None:
        self._source = compressed
        self._limit = max_inflated
        self._ratio = max_ratio
        self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        self._pending = b""  # compressed input not yet given to the inflater
        self._eof = False
        self.inflated = 0
        self.compressed = 0  # read from the source (a chunk ahead of the inflater)
        self.consumed = 0  # compressed bytes the inflater has used: the ratio is judged on these

    def readable(self) -> bool:
        """Always: this is a reader."""
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        """Inflate into ``buffer``; 0 at the end of the last member."""
        want = len(buffer)
        while not self._eof:
            if not self._pending:
                self._pending = self._inflater.unconsumed_tail or self._read()
            given = len(self._pending)
            try:
                out = self._inflater.decompress(self._pending, want)
            except zlib.error as exc:
                raise InflateError(unreadable(exc)) from None
            self._pending = self._inflater.unconsumed_tail
            if self._inflater.eof:
                # What follows the member's end is all in ``unused_data``; ``unconsumed_tail`` may hold the same
                # bytes again (when the output limit and the end come together), so it is not added to them.
                rest = self._inflater.unused_data
                self.consumed += given - len(rest)
                if not rest.strip(b"\0"):
                    rest = self._source.read(CHUNK)
                    self.compressed += len(rest)
                if rest.strip(b"\0"):
                    self._inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)  # a further member
                    self._pending = rest
                else:
                    self._eof = True
            else:
                self.consumed += given - len(self._pending)
                if not out and not self._pending:
                    more = self._read()
                    if not more:
                        raise InflateError(TRUNCATED)
                    self._pending = more
            if out:
                self._count(len(out))
                buffer[: len(out)] = out
                return len(out)
        return 0

    def _read(self) -> bytes:
        data = self._source.read(CHUNK)
        self.compressed += len(data)
        return data

    def _count(self, size: int) -> None:
        self.inflated += size
        if self.inflated > RATIO_FROM and self.inflated > self._ratio * max(self.consumed, 1):
            raise BombError(_bomb(self._ratio, self.consumed, self.inflated))
        if self.inflated > self._limit:
            raise TooLargeError(_too_large(self._limit >> 20))


def _bomb(ratio: int, compressed: int, inflated: int) -> Text:
    return t(f"圧縮前の {ratio} 倍を超えて展開されます（{compressed:,} バイトが {inflated:,} バイト超。展開爆弾の可能性）",
             f"inflates more than {ratio} times its compressed size ({compressed:,} to over {inflated:,} bytes: "
             "a decompression bomb?)")


def _too_large(mib: int) -> Text:
    return t(f"展開すると {mib} MiB を超えます（上限）", f"inflates to more than {mib} MiB (the ceiling)")


def open_bounded(data: BinaryIO, **limits: int) -> BinaryIO:
    """``data`` itself if it is not gzip, else a buffered reader of its inflated bytes, with ceilings."""
    head = data.read(2)
    data.seek(0)
    if head != GZIP_MAGIC:
        return data
    return io.BufferedReader(BoundedGunzip(data, **limits), CHUNK)


def inflate(raw: bytes, max_inflated: int, max_ratio: int = MAX_RATIO) -> tuple[bytes, InflateError | None]:
    """(content, error) of bytes held in memory: all that could be inflated within the ceilings, and what
    stopped the rest (``None`` when it all could). Bytes that are not gzip come back as they are.

    Each member is inflated in one call bounded by ``max_length`` (as fast as an unbounded one), so a bomb
    stops at the ceiling with at most ``max_inflated`` bytes held.
    """
    if raw[:2] != GZIP_MAGIC:
        return raw, None
    parts: list[bytes] = []
    total = 0
    rest = raw
    while True:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            out = inflater.decompress(rest, max_inflated - total + 1)
        except zlib.error as exc:
            return b"".join(parts), InflateError(unreadable(exc))
        parts.append(out)
        total += len(out)
        # at a member's end, ``unconsumed_tail`` may repeat ``unused_data`` (see ``BoundedGunzip.readinto``)
        consumed = len(raw) - len(inflater.unused_data if inflater.eof else inflater.unconsumed_tail)
        if total > RATIO_FROM and total > max_ratio * max(consumed, 1):
            return b"".join(parts), BombError(_bomb(max_ratio, consumed, total))
        if total > max_inflated:
            mib = max_inflated >> 20
            return b"".join(parts), TooLargeError(_too_large(mib))
        if not inflater.eof:
            return b"".join(parts), InflateError(TRUNCATED)
        rest = inflater.unused_data  # a file may hold several gzip members
        if not rest.strip(b"\0"):
            return b"".join(parts), None


def inflated_size_hint(raw_tail: bytes) -> int:
    """What a gzip file's trailer says it inflates to (its last member, modulo 4 GiB): a hint, never trusted."""
    return int.from_bytes(raw_tail[-4:], "little") if len(raw_tail) >= 4 else 0

"""Read CloudTrail files one at a time: the delivery format and one-event-per-line exports.

Formats accepted, gzipped or not (told apart by the gzip magic, not the name):
- ``{"Records": [...]}`` as CloudTrail delivers to S3 (one line, or pretty-printed);
- NDJSON: one event per line, as SIEMs and data sets export them (read line by line, so a large export
  does not have to fit in memory).

A record that is not a JSON object is reported as a ``RecordProblem`` and reading goes on; a file that
cannot be read at all (truncated gzip, invalid JSON) raises ``FileReadError`` *after* the records that
could be read were yielded, so the caller keeps them and records the reason.
"""

from __future__ import annotations

import gc
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from itertools import repeat
from pathlib import Path
from typing import Any, BinaryIO, NamedTuple

import orjson

from connectors.aws.inflate import (
    GZIP_MAGIC,
    BoundedGunzip,
    InflateError,
    TooLargeError,
    inflate,
    inflated_size_hint,
    open_bounded,
    unreadable,
)
from vendorwatch.i18n import Text, t
from vendorwatch.ingest.reading import ObjectReadError

SUFFIXES = (".json", ".json.gz", ".ndjson", ".ndjson.gz", ".jsonl", ".jsonl.gz")
_GZIP_MAGIC = GZIP_MAGIC
WHOLE_FILE_LIMIT = 4 * 1024 * 1024  # bytes on disk read into memory at once; larger files are read as a stream
# Inflated bytes held (and decoded) at once: a whole small file, one line, one record of a delivery file, one
# document that is not a delivery file. Decoded, JSON takes about 3.5 times its size: with the CLI's start-up this
# keeps an import within its memory budget (150 MB) whatever the file (docs/performance.md, "Ingest memory
# budget"). A larger delivery file (``{"Records": [...]}``) is decoded a slice of records at a time, a larger
# file of one event per line a line at a time; a larger single line, record or other document is refused.
DOCUMENT_LIMIT = 4 * 1024 * 1024
SLICE = 1 << 18  # inflated bytes of a delivery file decoded in one call (whole records): 300 or so
_DELIVERY_HEAD = re.compile(rb"\A\s*\{\s*\"Records\"\s*:\s*\[")
_RECORD_KEY = b'"eventVersion"'  # the first key of every record CloudTrail writes
_BETWEEN_RECORDS = re.compile(rb"\}\s*,\s*\{\s*\Z")  # what comes before a record's first key


class RecordProblem(NamedTuple):
    """One record of a file that could not be taken: where in the file, and why."""

    position: int
    reason: str


class FileReadError(ObjectReadError):
    """A file that could not be read to its end; ``reason`` in both languages, ``str()`` the English."""


def is_cloudtrail_file(path: Path) -> bool:
    """Whether a file name looks like a CloudTrail file this reader takes."""
    name = path.name.lower()
    return any(name.endswith(suffix) for suffix in SUFFIXES)


def find_files(root: Path) -> list[Path]:
    """``root`` itself if it is a file, else every CloudTrail file below it, sorted."""
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.is_file() and is_cloudtrail_file(p))


def iter_records(data: BinaryIO) -> Iterator[dict[str, Any] | RecordProblem]:
    """Yield each record of one file (or a problem with it); ``FileReadError`` if the file breaks off.

    Gzip is inflated as a stream with the ceilings of ``connectors.aws.inflate`` (size and ratio): a
    decompression bomb stops at its ceiling, with its reason, having held one chunk.
    """
    try:
        yield from _iter_records(open_bounded(data))
    except InflateError as exc:
        raise FileReadError(exc.reason) from None
    except OSError as exc:
        raise FileReadError(unreadable(exc)) from None


class _HashingReader(io.RawIOBase):
    """The bytes of a raw stream, each fed to a hash as it is read (once: the buffer above reads ahead)."""

    def __init__(self, raw: BinaryIO | io.RawIOBase, hasher: Any) -> None:
        self._raw = raw
        self._hasher = hasher

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer)
        data = self._raw.read(len(view))
        if not data:
            return 0
        view[: len(data)] = data
        self._hasher.update(data)
        return len(data)


def iter_hashed(raw: bytes, hasher: Any, on_end: Callable[[], None]) -> Iterator[dict[str, Any] | RecordProblem]:
    """``iter_records`` over a file held compressed (an S3 log file), feeding its inflated content to ``hasher``
    as it is read; ``on_end()`` once all of it was read. Nothing is held inflated beyond a slice: the hash
    CloudTrail's digests hold is of the inflated content, and an inflated copy of a large file would cost the
    process its memory budget beside boto3."""
    source: Any = BoundedGunzip(io.BytesIO(raw)) if raw[:2] == _GZIP_MAGIC else io.BytesIO(raw)
    stream = io.BufferedReader(_HashingReader(source, hasher), 1 << 16)
    try:
        yield from _iter_records(stream)
        while stream.read(1 << 16):  # what follows the last record (blank lines) is in the hash too
            pass
    except InflateError as exc:
        raise FileReadError(exc.reason) from None
    except OSError as exc:
        raise FileReadError(unreadable(exc)) from None
    on_end()


def iter_bytes(raw: bytes) -> Iterator[dict[str, Any] | RecordProblem]:
    """``iter_records`` over bytes held in memory, compressed or not.

    A truncated gzip of one-event-per-line data still gives the complete lines before the cut; then
    ``FileReadError`` says the rest was lost. The bytes are gunzipped, and a delivery file decoded, by
    this call; the usual delivery file (intact, only objects in its ``Records``) then comes back as the
    iterator of that list, with no generator in between. Anything else is an iterator that reports
    problems as it goes: a ``FileReadError`` still comes after the records that could be read.
    """
    if raw[:2] == _GZIP_MAGIC and inflated_size_hint(raw) > DOCUMENT_LIMIT:
        return iter_records(io.BytesIO(raw))  # too large to hold inflated: streamed
    content, error = inflate(raw, DOCUMENT_LIMIT)
    if isinstance(error, TooLargeError):  # its trailer said less: streamed after all
        del content
        return iter_records(io.BytesIO(raw))
    if error is not None:
        return _iter_truncated(content, error.reason)
    if len(content) > DOCUMENT_LIMIT:  # not gzip, and too large to decode at once
        return iter_records(io.BytesIO(raw))
    # The common case, one delivery file: decode it in one call, without going line by line.
    if content[:16].lstrip().startswith(b'{"Records"'):
        try:
            document = _load_document(content)
        except orjson.JSONDecodeError:
            document = None
        if document is not None:
            records = document.get("Records") if type(document) is dict else None
            if type(records) is list and all(map(isinstance, records, repeat(dict))):
                return iter(records)
            return _records_of(document)
    return _iter_records(io.BytesIO(content))


@contextmanager
def paused_garbage_collector() -> Iterator[None]:
    """Python's cyclic garbage collector off for the block, back on afterwards only if it was on.

    For decoding a whole delivery file: building its thousands of dicts triggers collections that go over
    the half-built document again and again, and over everything else the process holds, to find nothing
    (a decoded JSON document has no reference cycles). docs/performance.md ("CloudTrail parser") has the
    measurement. orjson holds the GIL for the whole call, so other threads hardly run meanwhile.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _load_document(content: bytes) -> Any:
    """``orjson.loads`` of a whole file, with the garbage collector paused meanwhile."""
    with paused_garbage_collector():
        return orjson.loads(content)


def _iter_truncated(content: bytes, problem: Text) -> Iterator[dict[str, Any] | RecordProblem]:
    cut = content.rfind(b"\n")
    if cut > 0 and not content[:16].lstrip().startswith(b'{"Records"'):
        yield from _iter_records(io.BytesIO(content[: cut + 1]))
    raise FileReadError(problem)


def iter_path(path: Path) -> Iterator[dict[str, Any] | RecordProblem]:
    """The records of a file on disk: read whole when small, streamed line by line when large."""
    if path.stat().st_size <= WHOLE_FILE_LIMIT:
        yield from iter_bytes(path.read_bytes())
        return
    with path.open("rb") as handle:
        yield from iter_records(handle)


def _records_of(document: Any) -> Iterator[dict[str, Any] | RecordProblem]:
    if isinstance(document, dict) and isinstance(document.get("Records"), list):
        for position, record in enumerate(document["Records"]):
            if isinstance(record, dict):
                yield record
            else:
                yield RecordProblem(position, "record is not a JSON object")
        return
    if isinstance(document, dict) and ("eventID" in document or "eventName" in document):
        yield document  # a single event in a file of its own
        return
    raise FileReadError(t("CloudTrail のファイルではありません（Records の一覧がありません）",
                          "not a CloudTrail file: no Records list"))


def _line(stream: BinaryIO) -> bytes:
    """The next line, refused when longer than ``DOCUMENT_LIMIT`` (it would be decoded at once)."""
    line = stream.readline(DOCUMENT_LIMIT + 1)
    if len(line) > DOCUMENT_LIMIT:
        raise FileReadError(_TOO_LARGE)
    return line


_TOO_LARGE = t(f"1 つの JSON 文書・行が {DOCUMENT_LIMIT >> 20} MiB を超えます（一度に読める上限）。"
               "1 行 1 イベント（NDJSON）で書き出してください",
               f"a single JSON document or line is larger than {DOCUMENT_LIMIT >> 20} MiB (what is read at once); "
               "export one event per line (NDJSON) instead")


def _head(stream: BinaryIO, size: int = 256) -> bytes:
    """The first bytes of a stream, left to be read again."""
    peek = getattr(stream, "peek", None)
    if peek is not None:
        return bytes(peek(size)[:size])
    position = stream.tell()
    head = stream.read(size)
    stream.seek(position)
    return head


def _iter_records(stream: BinaryIO) -> Iterator[dict[str, Any] | RecordProblem]:
    head = _DELIVERY_HEAD.match(_head(stream))
    if head is not None:
        yield from _delivery_records(stream, stream.read(head.end()))
        return
    first = _line(stream)
    while first and not first.strip():
        first = _line(stream)
    if not first:
        return
    try:
        document = orjson.loads(first)
    except orjson.JSONDecodeError:
        document = None
    if document is None:
        # Not one object per line: a pretty-printed document, read whole (delivery files are small).
        rest = first + stream.read(DOCUMENT_LIMIT + 1 - len(first))
        if len(rest) > DOCUMENT_LIMIT:
            raise FileReadError(_TOO_LARGE)
        try:
            document = orjson.loads(rest)
        except orjson.JSONDecodeError as exc:
            raise FileReadError(t(f"JSON として読めません: {exc}", f"invalid JSON: {exc}")) from None
        yield from _records_of(document)
        return
    if isinstance(document, dict) and "Records" in document:
        yield from _records_of(document)
        if stream.read(1).strip():
            raise FileReadError(t("Records オブジェクトの後にデータがあります", "data after the Records object"))
        return
    # NDJSON: one event per line; a bad line is one rejected record, not a lost file.
    position = 0
    if isinstance(document, dict):
        yield document
    else:
        yield RecordProblem(position, "line is not a JSON object")
    while line := _line(stream):
        position += 1
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            yield RecordProblem(position, f"line {position + 1}: invalid JSON: {exc}"[:300])
            continue
        if isinstance(record, dict):
            yield record
        else:
            yield RecordProblem(position, f"line {position + 1}: not a JSON object")


def _delivery_records(stream: BinaryIO, head: bytes) -> Iterator[dict[str, Any] | RecordProblem]:
    """The records of a delivery file whose opening ``{"Records": [`` (``head``) has been read, decoded a slice at
    a time: ``SLICE`` bytes are read, cut after the last record that ends in them (a record starts with
    ``{"eventVersion"``, which cannot occur inside a JSON string) and decoded as one list. What follows the cut is
    kept for the next slice; the last slice is decoded with the head, as the document's end. A cut that does not
    decode (a nested ``"eventVersion"`` key, or invalid JSON) is not taken: the slice grows, until what is kept
    passes ``DOCUMENT_LIMIT`` (a record too large, or a file broken). Memory stays one slice, whatever the size
    of the file."""
    position = 0
    carry = b""
    while True:
        if len(carry) > DOCUMENT_LIMIT:  # no record ended in that much: refused (one decoded is at most a slice more)
            raise FileReadError(_TOO_LARGE)
        chunk = stream.read(SLICE)
        data = carry + chunk if carry else chunk
        del carry
        if not chunk:
            try:
                document = _load_document(head + data)
            except orjson.JSONDecodeError as exc:
                raise FileReadError(t(f"JSON として読めません: {exc}", f"invalid JSON: {exc}")) from None
            records = document.get("Records") if type(document) is dict else None
            if type(records) is not list:
                yield from _records_of(document)
                return
            yield from _numbered(records, position)
            return
        cut = _last_cut(data)
        decoded = None
        if cut > 0:
            try:
                decoded = _load_document(b"[" + data[:cut] + b"]")
            except orjson.JSONDecodeError:
                decoded = None
        if decoded is None:
            carry = data
            continue
        yield from _numbered(decoded, position)
        position += len(decoded)
        carry = data[cut + 1:]


def _last_cut(data: bytes) -> int:
    """The index of the comma after the last record of ``data`` that is followed by the start of another; -1 if
    there is none."""
    end = len(data)
    while (key := data.rfind(_RECORD_KEY, 0, end)) > 0:
        between = _BETWEEN_RECORDS.search(data, max(0, key - 256), key)
        if between is not None:
            return data.index(b",", between.start())
        end = key
    return -1


def _numbered(records: list[Any], start: int) -> Iterator[dict[str, Any] | RecordProblem]:
    if all(map(isinstance, records, repeat(dict))):
        yield from records
        return
    for offset, record in enumerate(records):
        if isinstance(record, dict):
            yield record
        else:
            yield RecordProblem(start + offset, "record is not a JSON object")

"""A delivery file (``{"Records": [...]}``) larger than a slice is decoded a slice of whole records at a time: every
record comes through once and in order, whatever falls on a slice's edge, and memory stays one slice."""

from __future__ import annotations

import gzip
import tracemalloc
from typing import Any

import orjson
import pytest

from connectors.aws import cloudtrail_files
from connectors.aws.cloudtrail_files import DOCUMENT_LIMIT, SLICE, FileReadError, RecordProblem, iter_bytes
from tests.connectors.aws.conftest import cloudtrail_record


def _records(count: int) -> list[dict[str, Any]]:
    records = []
    for n in range(count):
        record = cloudtrail_record(event_id=f"e{n}")
        # what makes a cut hard: objects in lists, and braces, commas and the first key inside strings
        record["resources"] = [{"type": "AWS::S3::Object", "ARN": f"arn:aws:s3:::b/{n}"}, {"type": "AWS::S3::Bucket"}]
        record["userAgent"] = 'a},{"eventVersion":"x"},{'
        records.append(record)
    return records


def _ids(items: list[Any]) -> list[str]:
    return [item["eventID"] for item in items]


def test_every_record_of_a_file_of_many_slices_comes_through_once_in_order() -> None:
    records = _records(12_000)
    compact = orjson.dumps({"Records": records})
    pretty = orjson.dumps({"Records": records}, option=orjson.OPT_INDENT_2)
    assert len(compact) > 4 * SLICE and len(compact) > DOCUMENT_LIMIT  # many slices, never read whole
    for data in (compact, pretty, gzip.compress(compact), gzip.compress(pretty)):
        items = list(iter_bytes(data))
        assert _ids(items) == [f"e{n}" for n in range(12_000)]
        assert items[5] == records[5]


def test_a_nested_first_key_is_not_taken_for_a_record_start() -> None:
    records = _records(3_000)
    for record in records[::7]:
        record["requestParameters"] = {"items": [{"eventVersion": "1"}, {"eventVersion": "2"}]}
    data = orjson.dumps({"Records": records})
    assert len(data) > 2 * SLICE
    assert list(iter_bytes(data)) == records


def test_non_objects_in_later_slices_are_problems_at_their_position() -> None:
    records: list[Any] = _records(6_000)
    records[4_500] = 7
    items = list(iter_bytes(orjson.dumps({"Records": records})))
    problems = [item for item in items if isinstance(item, RecordProblem)]
    assert problems == [RecordProblem(4_500, "record is not a JSON object")]
    assert len(items) == 6_000


def test_a_file_that_breaks_off_keeps_the_records_before_and_says_why() -> None:
    data = orjson.dumps({"Records": _records(6_000)})
    kept: list[Any] = []
    with pytest.raises(FileReadError, match="invalid JSON"):
        for item in iter_bytes(data[: len(data) - 5_000]):
            kept.append(item)
    assert 0 < len(kept) < 6_000 and _ids(kept) == [f"e{n}" for n in range(len(kept))]


def test_a_record_larger_than_what_is_read_at_once_is_refused() -> None:
    huge = cloudtrail_record(event_id="huge")
    huge["requestParameters"] = {"policy": "x" * (DOCUMENT_LIMIT + SLICE)}
    data = orjson.dumps({"Records": [*_records(10), huge, *_records(10)]})
    kept: list[Any] = []
    with pytest.raises(FileReadError, match="larger than 4 MiB"):
        for item in iter_bytes(data):
            kept.append(item)
    assert len(kept) == 10


def test_memory_stays_a_slice_whatever_the_size() -> None:
    # Decoding the whole 24 MB document at once took more than 80 MB; a slice at a time, the records already
    # taken are let go.
    data = gzip.compress(orjson.dumps({"Records": _records(30_000)}))
    assert cloudtrail_files.SLICE == SLICE
    tracemalloc.start()
    try:
        count = sum(1 for _ in iter_bytes(data))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 30_000
    assert peak < 30 * 2**20, peak

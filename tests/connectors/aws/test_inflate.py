"""Gunzip with ceilings: honest files come through whole (several members, trailing padding), damaged and cut
files say why, and a decompression bomb stops at its ceiling having held little memory."""

from __future__ import annotations

import gzip
import io
import random
import zlib

import pytest

from connectors.aws.inflate import MAX_RATIO, BoundedGunzip, InflateError, TooLargeError, inflate, open_bounded


def _zeros(megabytes: int) -> bytes:
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    return b"".join(packer.compress(b"\0" * (1 << 20)) for _ in range(megabytes)) + packer.flush()


def test_honest_files_inflate_whole() -> None:
    data = b'{"eventID": "e"}\n' * 50_000
    assert inflate(gzip.compress(data), 1 << 30) == (data, None)
    assert inflate(gzip.compress(b"one\n") + gzip.compress(b"two\n") + b"\0" * 8, 1 << 30) == (b"one\ntwo\n", None)
    assert inflate(b"not gzip", 10) == (b"not gzip", None)
    assert open_bounded(io.BytesIO(gzip.compress(data))).read() == data


def test_cut_and_damaged_files_say_why() -> None:
    packed = gzip.compress(b'{"eventID": "e"}\n' * 50_000)
    content, problem = inflate(packed[: len(packed) // 2], 1 << 30)
    assert problem is not None and "truncated" in problem.reason.en and content
    damaged = bytearray(packed)
    damaged[len(damaged) // 2: len(damaged) // 2 + 8] = b"\xff" * 8
    _, problem = inflate(bytes(damaged), 1 << 30)
    assert problem is not None and problem.reason.en.startswith("unreadable compressed data")


def test_a_bomb_stops_at_its_ratio_streamed_or_whole() -> None:
    bomb = _zeros(64)
    content, problem = inflate(bomb, 16 << 20)  # held whole: never more than the ceiling
    assert problem is not None and f"more than {MAX_RATIO} times" in problem.reason.en and len(content) <= 16 << 20 + 1
    reader = open_bounded(io.BytesIO(bomb))
    with pytest.raises(InflateError, match="decompression bomb"):
        while reader.read(1 << 16):
            pass


def test_the_size_ceiling_holds_for_honest_ratios() -> None:
    data = b'{"eventID": "e", "n": %d}\n'
    lines = b"".join(data % n for n in range(200_000))
    _, problem = inflate(gzip.compress(lines), 1 << 20)
    assert isinstance(problem, TooLargeError) and "more than 1 MiB" in problem.reason.en


def _members(count: int, size: int = 1 << 20) -> tuple[bytes, bytes]:
    """(content, gzip of it in ``count`` members): lines that compress about 190 times, so that a member ends
    in the same read as the output limit is reached (zlib then leaves the rest in ``unused_data`` and in
    ``unconsumed_tail`` at once)."""
    rng = random.Random(14)
    block = bytearray(b" " * size)
    for start in range(0, size, 280):
        block[min(start + rng.randrange(280), size - 1)] = 10
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    member = packer.compress(bytes(block)) + packer.flush()
    return bytes(block) * count, member * count


def test_members_read_in_chunks_come_through_once() -> None:
    # Before: the rest after a member was taken from both, so the next members came through twice, and the
    # file looked like a bomb (5 MiB of content read as 5.7 MB "from" 28 KB).
    content, packed = _members(5)
    reader = BoundedGunzip(io.BytesIO(packed))
    assert io.BufferedReader(reader).read() == content
    assert reader.consumed == len(packed) and reader.inflated == len(content)
    assert inflate(packed, 1 << 30) == (content, None)

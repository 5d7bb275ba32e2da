"""Minimal RIFF/WAVE chunk handling: add a LIST/INFO chunk and read it back.

libsndfile truncates or drops long INFO strings, so the chunk that carries the JSON label is written here.
Layout: "RIFF" <u32 size of the rest> "WAVE", then chunks of <4-byte id> <u32 size> <payload> [pad to even].
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from pathlib import Path

from fakevideo.errors import InputError

_HEADER = struct.Struct("<4sI")


def _chunk(chunk_id: bytes, payload: bytes) -> bytes:
    return _HEADER.pack(chunk_id, len(payload)) + payload + b"\0" * (len(payload) % 2)


def info_chunk(fields: dict[str, str]) -> bytes:
    """A complete LIST/INFO chunk whose sub-chunks (e.g. ICMT, ISFT) hold NUL-terminated UTF-8 strings."""
    assert all(len(key) == 4 and key.isascii() for key in fields), fields
    body = b"".join(_chunk(key.encode("ascii"), text.encode("utf-8") + b"\0") for key, text in fields.items())
    return _chunk(b"LIST", b"INFO" + body)


def _chunks(data: bytes, start: int) -> Iterator[tuple[bytes, int, int]]:
    """Yield (id, payload offset, payload size) for each whole chunk of `data` from `start`."""
    pos = start
    while pos + _HEADER.size <= len(data):
        chunk_id, size = _HEADER.unpack_from(data, pos)
        if pos + _HEADER.size + size > len(data):
            return
        yield chunk_id, pos + _HEADER.size, size
        pos += _HEADER.size + size + size % 2


def with_info_chunk(wav: bytes, fields: dict[str, str]) -> bytes:
    """Return the WAV bytes with any existing LIST/INFO chunk replaced by one holding `fields`."""
    assert wav[:4] == b"RIFF" and wav[8:12] == b"WAVE", "not a RIFF/WAVE byte string"
    kept = [
        wav[offset - _HEADER.size : offset + size + size % 2]
        for chunk_id, offset, size in _chunks(wav, 12)
        if not (chunk_id == b"LIST" and wav[offset : offset + 4] == b"INFO")
    ]
    body = b"WAVE" + b"".join(kept) + info_chunk(fields)
    return b"RIFF" + struct.pack("<I", len(body)) + body


def read_info(path: str | Path) -> dict[str, str]:
    """The LIST/INFO strings of a WAV file ({} when it has none); InputError if it is not RIFF/WAVE."""
    try:
        data = Path(path).read_bytes()
    except OSError as err:
        raise InputError(f"{path}: cannot read WAV file ({err.strerror})") from None
    if data[:4] != b"RIFF" or data[8:12] != b"WAVE":
        raise InputError(f"{path}: not a RIFF/WAVE file")
    fields: dict[str, str] = {}
    for chunk_id, offset, size in _chunks(data, 12):
        if chunk_id == b"LIST" and data[offset : offset + 4] == b"INFO":
            info = data[offset + 4 : offset + size]
            for key, sub_offset, sub_size in _chunks(info, 0):
                text = info[sub_offset : sub_offset + sub_size].rstrip(b"\0")
                fields[key.decode("ascii", "replace")] = text.decode("utf-8", "replace")
    return fields

"""Atomic writes: the old file survives a crashed writer, and nothing temporary is left behind."""

import pytest

from fakevideo.atomic import atomic_path


def test_atomic_path_keeps_original_when_writing_fails(tmp_path):
    target = tmp_path / "keep.wav"
    target.write_bytes(b"original")
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"partial")
        raise RuntimeError("writer crashed")
    assert target.read_bytes() == b"original"
    assert [p.name for p in tmp_path.iterdir()] == ["keep.wav"]

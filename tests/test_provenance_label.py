"""Provenance label JSON, RIFF INFO chunk layout, labelled WAV round trip, atomic writes, CLI errors."""

import hashlib
import json
import struct
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

import fakevideo
from fakevideo.errors import CheckpointError, InputError
from fakevideo.provenance.label import ProvenanceLabel, checkpoint_sha256
from fakevideo.provenance.riff import info_chunk, read_info, with_info_chunk
from fakevideo.provenance.wav import read_wav_label, write_wav

LABEL = ProvenanceLabel("stargan_vc2", "0" * 64, extra={"speakers": ["SF1", "TM1"], "note": "é" * 3000})


def test_label_defaults_and_json_round_trip():
    data = json.loads(LABEL.to_json())
    assert data["synthetic"] is True and data["tool"] == "fakevideo"
    assert data["tool_version"] == fakevideo.__version__
    assert data["created"].endswith("+00:00")
    assert ProvenanceLabel.from_json(LABEL.to_json()) == LABEL


def test_label_keeps_unknown_keys_under_extra_and_rejects_garbage():
    text = json.dumps({"model_family": "fsgan", "future_field": 3, "extra": {"a": 1}})
    assert ProvenanceLabel.from_json(text).extra == {"a": 1, "future_field": 3}
    with pytest.raises(InputError, match="x.wav: provenance label is not valid JSON"):
        ProvenanceLabel.from_json("{not json", source="x.wav")
    with pytest.raises(InputError, match="no 'model_family'"):
        ProvenanceLabel.from_json("{}")


def test_checkpoint_sha256_matches_known_digest(tmp_path):
    ckpt = tmp_path / "last.ckpt"
    ckpt.write_bytes(b"abc")
    assert checkpoint_sha256(ckpt) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    big = np.random.default_rng(0).bytes(3 << 20)  # spans several read blocks
    ckpt.write_bytes(big)
    assert checkpoint_sha256(ckpt) == hashlib.sha256(big).hexdigest()
    with pytest.raises(CheckpointError, match="missing.ckpt"):
        checkpoint_sha256(tmp_path / "missing.ckpt")


def test_info_chunk_layout_is_padded_and_sized():
    chunk = info_chunk({"ICMT": "abc", "ISFT": "ab"})
    # LIST <size> INFO | ICMT 4 "abc\0" | ISFT 3 "ab\0" + pad byte
    icmt = b"ICMT" + struct.pack("<I", 4) + b"abc\0"
    isft = b"ISFT" + struct.pack("<I", 3) + b"ab\0\0"
    expected_body = b"INFO" + icmt + isft
    assert chunk == b"LIST" + struct.pack("<I", len(expected_body)) + expected_body


def test_with_info_chunk_replaces_previous_and_fixes_riff_size(tmp_path):
    path = tmp_path / "a.wav"
    sf.write(path, np.zeros(101), 16000, subtype="PCM_16")
    once = with_info_chunk(path.read_bytes(), {"ICMT": "first"})
    twice = with_info_chunk(once, {"ICMT": "second", "ISFT": "x"})
    assert struct.unpack("<I", twice[4:8])[0] == len(twice) - 8
    assert twice.count(b"LIST") == 1
    path.write_bytes(twice)
    assert read_info(path) == {"ICMT": "second", "ISFT": "x"}
    assert sf.info(path).frames == 101


def test_write_wav_round_trips_label_and_audio(tmp_path):
    path = tmp_path / "out.wav"
    audio = 0.5 * np.sin(2 * np.pi * 440 * np.arange(8000) / 16000)
    write_wav(path, audio, 16000, LABEL, watermark=False)
    assert read_wav_label(path) == LABEL
    back, rate = sf.read(path)
    assert rate == 16000 and np.max(np.abs(back - audio)) <= 1 / 32767
    assert [p.name for p in tmp_path.iterdir()] == ["out.wav"]  # no temporary left behind


def test_write_wav_float_subtype_and_stereo(tmp_path):
    path = tmp_path / "stereo.wav"
    audio = np.random.default_rng(1).uniform(-0.5, 0.5, (4000, 2))
    write_wav(path, audio, 22050, LABEL, watermark=False, subtype="FLOAT")
    back, rate = sf.read(path)
    assert rate == 22050 and np.allclose(back, audio, atol=1e-7)
    assert read_wav_label(path) == LABEL


def test_plain_wav_has_no_label_and_bad_input_is_rejected(tmp_path):
    plain = tmp_path / "plain.wav"
    sf.write(plain, np.zeros(100), 16000)
    assert read_wav_label(plain) is None
    with pytest.raises(InputError, match="bad.wav"):
        write_wav(tmp_path / "bad.wav", np.array([0.0, np.nan]), 16000, LABEL)
    (tmp_path / "text.wav").write_text("hello")
    with pytest.raises(InputError, match="text.wav: not a RIFF/WAVE file"):
        read_wav_label(tmp_path / "text.wav")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("broken.wav", b"not audio", "broken.wav: cannot read audio"),
        ("broken.mp4", b"not video", "broken.mp4: cannot open video"),
        ("notes.txt", b"hi", "notes.txt: unsupported file type"),
    ],
)
def test_cli_reports_unreadable_file_in_one_line(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    run = subprocess.run(
        [sys.executable, "-m", "fakevideo.provenance", "check", str(path)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).parents[1],
    )
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and message in run.stderr and run.stderr.startswith("error: ")

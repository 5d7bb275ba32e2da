"""The built-in demo corpus: parallel, several distinct synthetic speakers, deterministic, cached."""

import hashlib

import pytest
import soundfile as sf

from fakevideo.data import demo
from fakevideo.errors import InputError


def test_demo_corpus_is_parallel_multi_speaker(demo_corpus):
    speakers = sorted(p.name for p in demo_corpus.iterdir() if p.is_dir())
    assert speakers == sorted(demo.SPEAKERS)
    assert sum(name.endswith("_f") for name in speakers) >= 2 and sum(name.endswith("_m") for name in speakers) >= 2
    names = {s: sorted(p.name for p in (demo_corpus / s).glob("*.wav")) for s in speakers}
    assert all(v == names[speakers[0]] for v in names.values())
    for speaker in speakers:
        info = sf.info(str(demo_corpus / speaker / "harvard_001.wav"))
        assert info.samplerate >= 16000 and info.channels == 1 and info.duration > 1.0


def test_full_demo_has_at_least_40_sentences():
    assert len(demo.SENTENCES) >= 40


def test_demo_corpus_is_deterministic_and_cached(tmp_path, demo_corpus):
    again = demo.build_demo_corpus(tmp_path / "again", num_sentences=2, speakers=["us1_f"])
    digest = lambda p: hashlib.sha1(p.read_bytes()).hexdigest()  # noqa: E731
    assert digest(again / "us1_f" / "harvard_002.wav") == digest(demo_corpus / "us1_f" / "harvard_002.wav")
    mtime = (again / "us1_f" / "harvard_001.wav").stat().st_mtime_ns
    demo.build_demo_corpus(tmp_path / "again", num_sentences=2, speakers=["us1_f"])
    assert (again / "us1_f" / "harvard_001.wav").stat().st_mtime_ns == mtime


def test_missing_voice_explains_how_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(demo.SPEAKERS, "zz_x", "mb-zz9")
    with pytest.raises(InputError, match="apt-get install espeak-ng mbrola"):
        demo.build_demo_corpus(tmp_path / "c", num_sentences=1, speakers=["zz_x"])
    assert not (tmp_path / "c").exists()

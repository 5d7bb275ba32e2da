"""Conversion with a trained checkpoint, from Python and through the convert.py command line."""

import logging
import subprocess
import sys
import threading

import numpy as np
import pytest
import soundfile as sf
import torch
from conftest import REPO

from fakevideo.audio.io import load_audio
from fakevideo.errors import CheckpointError, ConfigError, InputError, exit_on_user_error
from fakevideo.pipelines.convert import VoiceConverter, convert_paths
from fakevideo.provenance import read_wav_label
from fakevideo.training.checkpoints import load_checkpoint


@pytest.fixture(scope="module")
def converter(trained_stargan):
    return VoiceConverter.from_checkpoint(trained_stargan / "checkpoints" / "last.ckpt")


def test_checkpoint_carries_family_speakers_and_features(converter):
    assert converter.task.model_name == "stargan_vc"
    assert converter.speakers == ["us1_f", "us2_m", "en1_m"]
    assert converter.features.mcep_dim == 36 and converter.sample_rate == 16000


def test_conversion_keeps_length_and_changes_the_voice(converter, demo_corpus):
    audio, _ = load_audio(demo_corpus / "us1_f" / "harvard_010.wav", 16000)
    out = converter.convert(audio, "us1_f", "us2_m")
    assert out.shape == audio.shape and out.dtype == audio.dtype
    assert 0.01 < abs(out).max() <= 0.99
    assert not torch.allclose(torch.from_numpy(out), torch.from_numpy(audio), atol=1e-2)


def test_odd_length_input_converts(converter):
    t = torch.arange(16000 + 123) / 16000
    audio = (0.3 * torch.sin(2 * torch.pi * 180 * t) * (1 + 0.2 * torch.sin(2 * torch.pi * 3 * t))).numpy()
    assert converter.convert(audio, "en1_m", "us1_f").shape == audio.shape


def test_folder_conversion_writes_one_file_per_input(converter, demo_corpus, tmp_path):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("harvard_011.wav", "harvard_012.wav"):
        (inputs / name).write_bytes((demo_corpus / "us2_m" / name).read_bytes())
    written = convert_paths(converter, inputs, tmp_path / "out", "us2_m", "us1_f")
    assert [p.name for p in written] == ["harvard_011_us2_m_to_us1_f.wav", "harvard_012_us2_m_to_us1_f.wav"]
    assert sf.info(str(written[0])).samplerate == 16000
    pooled = convert_paths(converter, inputs, tmp_path / "pooled", "us2_m", "us1_f", num_workers=2)
    assert [p.name for p in pooled] == [p.name for p in written]
    for serial, parallel in zip(written, pooled, strict=True):  # two worker threads, the same audio up to one
        # 16-bit step (one-thread workers sum the generator's convolutions in another order)
        np.testing.assert_allclose(sf.read(serial)[0], sf.read(parallel)[0], rtol=0, atol=1.5 / 32768)
        assert read_wav_label(serial).extra == read_wav_label(parallel).extra


def test_unknown_speaker_is_a_config_error(converter):
    with pytest.raises(ConfigError, match="trg_spk='nobody'.*choose from"):
        converter.check_speakers("us1_f", "nobody")


def test_bad_checkpoints_are_one_line_errors(tmp_path, trained_stargan):
    truncated = tmp_path / "truncated.ckpt"
    truncated.write_bytes((trained_stargan / "checkpoints" / "last.ckpt").read_bytes()[:5000])
    with pytest.raises(CheckpointError, match="truncated"):
        load_checkpoint(truncated)
    foreign = tmp_path / "foreign.ckpt"
    torch.save({"state_dict": {}}, foreign)
    with pytest.raises(CheckpointError, match="not a fakevideo checkpoint"):
        load_checkpoint(foreign)
    with pytest.raises(CheckpointError, match="no such checkpoint"):
        load_checkpoint(tmp_path / "missing.ckpt")


def test_feature_config_mismatch_is_detected(tmp_path, trained_stargan):
    checkpoint = load_checkpoint(trained_stargan / "checkpoints" / "last.ckpt")
    checkpoint["fakevideo"]["data"]["features"]["mcep_dim"] = 40
    edited = tmp_path / "edited.ckpt"
    torch.save(checkpoint, edited)
    with pytest.raises(CheckpointError, match="mismatch"):
        VoiceConverter.from_checkpoint(edited)


def run_cli(*args):
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=600)


def test_convert_command_line_contract(trained_stargan, demo_corpus, tmp_path):
    ckpt = trained_stargan / "checkpoints" / "last.ckpt"
    out = tmp_path / "converted"
    result = run_cli("convert.py", f"ckpt={ckpt}", "src_spk=en1_m", "trg_spk=us1_f",
                     f"input={demo_corpus / 'en1_m'}", f"output={out}")
    assert result.returncode == 0, result.stderr
    inputs = sorted((demo_corpus / "en1_m").glob("*.wav"))
    written = sorted(out.glob("*.wav"))
    assert len(written) == len(inputs)
    assert all(src.stem in dst.name for src, dst in zip(inputs, written, strict=True))
    bad = run_cli("convert.py", f"ckpt={ckpt}", "src_spk=zz", "trg_spk=us1_f", f"input={inputs[0]}",
                  f"output={out}")
    assert bad.returncode == 2
    assert bad.stderr.strip().splitlines()[-1].startswith("error: src_spk='zz'")
    assert "Traceback" not in bad.stderr


def test_converted_files_are_labelled_and_watermarked(converter, demo_corpus, tmp_path):
    from fakevideo.provenance import check_file, read_wav_label

    wav = demo_corpus / "us1_f" / "harvard_009.wav"
    (marked,) = convert_paths(converter, wav, tmp_path / "on", "us1_f", "en1_m")
    (plain,) = convert_paths(converter, wav, tmp_path / "off", "us1_f", "en1_m", watermark=False)
    label = read_wav_label(marked)
    assert label.synthetic and label.model_family == "stargan_vc" and len(label.checkpoint_sha256) == 64
    assert label.extra["target_speaker"] == "en1_m"
    assert check_file(marked).watermark.detected
    assert read_wav_label(plain).synthetic and not check_file(plain).watermark.detected
    assert not check_file(wav).watermark.detected


def test_unwritable_output_folder_is_a_one_line_error_before_any_work(converter, demo_corpus, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(InputError, match="output=.*a_file/out: cannot create the output folder"):
        convert_paths(converter, demo_corpus / "us1_f" / "harvard_001.wav", blocker / "out", "us1_f", "en1_m")


def test_folder_conversion_converts_files_concurrently(converter, demo_corpus, tmp_path, monkeypatch):
    """Two workers hold two files at once: each conversion waits at a 2-party barrier, which a serial loop
    (one file at a time) would never pass."""
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("harvard_009.wav", "harvard_010.wav", "harvard_011.wav", "harvard_012.wav"):
        (inputs / name).write_bytes((demo_corpus / "us2_m" / name).read_bytes())
    barrier, convert_file = threading.Barrier(2, timeout=20), converter.convert_file
    threads_during = []

    def meet_then_convert(*args):
        barrier.wait()
        threads_during.append(torch.get_num_threads())
        return convert_file(*args)

    monkeypatch.setattr(converter, "convert_file", meet_then_convert)
    threads_before = torch.get_num_threads()
    written = convert_paths(converter, inputs, tmp_path / "out", "us2_m", "us1_f", num_workers=2, watermark=False)
    assert len(written) == 4 and all(p.is_file() for p in written)
    assert threads_during == [1] * 4 and torch.get_num_threads() == threads_before


def test_a_folder_with_bad_files_converts_the_rest_then_lists_the_failures_and_exits_2(converter, demo_corpus,
                                                                                       tmp_path, capsys):
    inputs = tmp_path / "in"
    inputs.mkdir()
    for name in ("harvard_011.wav", "harvard_012.wav"):
        (inputs / name).write_bytes((demo_corpus / "us2_m" / name).read_bytes())
    (inputs / "a_corrupt.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    (inputs / "b_empty.wav").write_bytes(b"")
    command = exit_on_user_error(lambda: convert_paths(converter, inputs, tmp_path / "out", "us2_m", "us1_f",
                                                       num_workers=2, watermark=False))
    with pytest.raises(SystemExit) as stop:
        command()
    assert stop.value.code == 2
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "harvard_011_us2_m_to_us1_f.wav", "harvard_012_us2_m_to_us1_f.wav"]
    stderr = capsys.readouterr().err
    lines = stderr[stderr.index("error: "):].strip().splitlines()  # after the progress bar
    assert lines[0] == f"error: 2 of 4 files could not be converted (2 written to {tmp_path / 'out'}):"
    assert lines[1].startswith(f"  {inputs / 'a_corrupt.wav'}: cannot read audio")
    assert lines[2].startswith(f"  {inputs / 'b_empty.wav'}: ") and len(lines) == 3
    with pytest.raises(InputError, match="^.*b_empty.wav: "):  # a single file: its own one-line error
        convert_paths(converter, inputs / "b_empty.wav", tmp_path / "single", "us2_m", "us1_f")


def test_converting_a_speaker_to_itself_warns(converter, demo_corpus, tmp_path, caplog):
    with caplog.at_level(logging.WARNING):
        (written,) = convert_paths(converter, demo_corpus / "us1_f" / "harvard_009.wav", tmp_path, "us1_f", "us1_f")
    assert written.is_file()
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert [w for w in warnings if "src_spk" in w] == [
        "src_spk=trg_spk='us1_f': converting a speaker to itself only reconstructs the input voice"]

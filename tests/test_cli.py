"""The command-line contracts of train.py and the corpus splitter, run as a user would."""

import os
import subprocess
import sys

import numpy as np
import soundfile as sf
from conftest import REPO, copy_corpus

from fakevideo.audio.io import load_audio
from fakevideo.training.checkpoints import load_checkpoint


def run(*args, timeout=900):
    return subprocess.run([sys.executable, *args], cwd=REPO, capture_output=True, text=True, timeout=timeout)


def test_train_command_line_contract(demo_corpus, tmp_path):
    corpus = copy_corpus(demo_corpus, tmp_path / "corpus", ("us3_m", "ek4_f"))
    out = tmp_path / "out"
    result = run("train.py", "model=stargan_vc", f"data.root={corpus}", "iterations=2", f"hydra.run.dir={out}",
                 f"data.cache_dir={tmp_path / 'cache'}", "data.num_test=2", "log_progress_every_s=0")
    assert result.returncode == 0, result.stderr[-3000:]
    checkpoint = load_checkpoint(out / "checkpoints" / "last.ckpt")
    assert checkpoint["fakevideo"]["data"]["speakers"] == ["ek4_f", "us3_m"]
    assert checkpoint["global_step"] == 4
    # What the user sees (not a terminal here): progress in iterations, a closing summary, no third-party noise.
    console = result.stdout + result.stderr
    assert "iteration 2/2 (100%)" in result.stdout and "Epoch" not in console
    assert f"run finished: {out}" in result.stdout and "test split: MCD" in result.stdout
    for noise in ("LeafSpec", "Tip:", "pkg_resources", "weights_only", "Using ModelCheckpoint", "max_steps="):
        assert noise not in console, noise


def test_train_reports_bad_input_in_one_line(tmp_path):
    result = run("train.py", f"data.root={tmp_path / 'nowhere'}", "iterations=1", f"hydra.run.dir={tmp_path}")
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == f"error: data.root={tmp_path / 'nowhere'}: no such folder"


def test_split_command_cuts_a_long_recording_at_silences(demo_corpus, tmp_path):
    parts = [load_audio(demo_corpus / "us2_m" / f"harvard_{i:03d}.wav", 16000)[0] for i in range(1, 6)]
    pause = np.zeros(int(0.8 * 16000), np.float32)
    long_recording = np.concatenate([np.concatenate([p, pause]) for p in parts])
    sf.write(tmp_path / "interview.wav", long_recording, 16000)
    result = run("-m", "fakevideo.data.split", str(tmp_path / "interview.wav"), "--speaker", "guest",
                 "--out", str(tmp_path / "corpus"))
    assert result.returncode == 0, result.stderr
    written = sorted((tmp_path / "corpus" / "guest").glob("interview_*.wav"))
    assert len(written) == 5
    for piece, original in zip(written, parts, strict=True):
        duration = sf.info(str(piece)).duration
        assert abs(duration - len(original) / 16000) < 0.35


def test_bad_config_values_are_reported_without_a_traceback(tmp_path):
    wrong_type = run("train.py", "iterations=abc", f"hydra.run.dir={tmp_path}")
    assert wrong_type.returncode == 2
    assert wrong_type.stderr.strip().splitlines()[-1] == "error: iterations='abc': must be a positive integer"
    for override, message in [("model=nope", "Could not find 'model/nope'"), ("nokey=1", "Could not override 'nokey'")]:
        result = run("train.py", override, f"hydra.run.dir={tmp_path}")
        assert result.returncode != 0 and message in result.stderr and "Traceback" not in result.stderr


def test_more_devices_than_the_machine_has_is_one_line_before_any_work(tmp_path):
    cores = os.cpu_count()
    result = run("train.py", "trainer=ddp", "trainer.accelerator=cpu", f"trainer.devices={cores + 97}",
                 f"hydra.run.dir={tmp_path}")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"error: trainer.devices={cores + 97}: this machine has {cores} CPU core(s) for trainer.accelerator=cpu; "
        f"ask for 1 to {cores}, or -1 / 'auto' for all")
    assert not (tmp_path / "config.yaml").exists()  # refused before any data or trainer work

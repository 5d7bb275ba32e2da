"""Exact resume after an interruption (Ctrl-C / SIGTERM / SIGKILL), and truncated checkpoints."""

import os
import signal
import subprocess
import sys
import time

import pytest
import pytorch_lightning as pl
import torch
from conftest import REPO, run_training, train_overrides

from fakevideo.errors import CheckpointError
from fakevideo.training.checkpoints import load_checkpoint

pytestmark = pytest.mark.filterwarnings("ignore")
RUN = ("data.num_speakers=2", "validate_every=1000", "evaluation.at_end=false", "model.loss.adversarial=wgan_gp")


class InterruptAt(pl.Callback):
    def __init__(self, iteration):
        self.iteration = iteration

    def on_train_batch_end(self, trainer, module, *args):
        if module.iteration == self.iteration and module.global_step % module.steps_per_iteration == 0:
            raise KeyboardInterrupt


def final_weights(run_dir):
    return load_checkpoint(run_dir / "checkpoints" / "last.ckpt")["state_dict"]


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for key in a:
        torch.testing.assert_close(a[key], b[key], rtol=1e-5, atol=1e-6, msg=key)


def test_ctrl_c_saves_a_checkpoint_and_resume_is_exact(tmp_path, demo_corpus, feature_cache, monkeypatch):
    run_training(tmp_path / "straight", demo_corpus, feature_cache, *RUN, "iterations=6")
    from fakevideo.training import run as run_module

    original = run_module.build_trainer

    def with_interrupt(cfg, task, run_dir):
        trainer = original(cfg, task, run_dir)
        trainer.callbacks.append(InterruptAt(3))
        return trainer

    monkeypatch.setattr(run_module, "build_trainer", with_interrupt)
    with pytest.raises(SystemExit) as stop:
        run_training(tmp_path / "broken", demo_corpus, feature_cache, *RUN, "iterations=6")
    assert stop.value.code == 130  # 128 + SIGINT, as a shell reports Ctrl-C: not a finished run
    monkeypatch.setattr(run_module, "build_trainer", original)
    assert load_checkpoint(tmp_path / "broken" / "checkpoints" / "last.ckpt")["global_step"] == 6
    run_training(tmp_path / "broken", demo_corpus, feature_cache, *RUN, "iterations=6", "ckpt_path=last")
    assert_same_weights(final_weights(tmp_path / "straight"), final_weights(tmp_path / "broken"))


def start_training(run_dir, corpus, cache, *extra):
    args = [a for a in train_overrides(corpus, cache, *RUN, *extra)]
    return subprocess.Popen([sys.executable, "train.py", *args, f"hydra.run.dir={run_dir}"], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_for(path, process, seconds=300):
    deadline = time.time() + seconds
    while not path.exists():
        assert process.poll() is None, process.stderr.read()[-2000:]
        assert time.time() < deadline, "no checkpoint appeared"
        time.sleep(0.2)


def test_sigkill_mid_training_resumes_to_the_same_weights(tmp_path, demo_corpus, feature_cache):
    run_training(tmp_path / "straight", demo_corpus, feature_cache, *RUN, "iterations=12", "checkpoint_every=3")
    killed = tmp_path / "killed"
    process = start_training(killed, demo_corpus, feature_cache, "iterations=12", "checkpoint_every=3")
    wait_for(killed / "checkpoints" / "last.ckpt", process)
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert load_checkpoint(killed / "checkpoints" / "last.ckpt")["global_step"] < 24
    run_training(killed, demo_corpus, feature_cache, *RUN, "iterations=12", "checkpoint_every=3", "ckpt_path=last")
    assert_same_weights(final_weights(tmp_path / "straight"), final_weights(killed))
    steps = [line.split(",")[0] for line in (killed / "csv" / "metrics.csv").read_text().splitlines()]
    assert len(steps) > 0


def test_sigterm_writes_a_checkpoint_then_exits_143(tmp_path, demo_corpus, feature_cache):
    run_dir = tmp_path / "run"
    process = start_training(run_dir, demo_corpus, feature_cache, "iterations=100000", "checkpoint_every=2")
    wait_for(run_dir / "checkpoints" / "step00000004.ckpt", process)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=120) == 128 + signal.SIGTERM, process.stderr.read()[-2000:]
    step = load_checkpoint(run_dir / "checkpoints" / "last.ckpt")["global_step"]
    assert step >= 4 and os.path.getmtime(run_dir / "checkpoints" / "last.ckpt") >= os.path.getmtime(
        run_dir / "checkpoints" / "step00000004.ckpt")


def test_truncated_checkpoint_is_a_one_line_error_and_the_good_one_is_kept(tmp_path, demo_corpus, feature_cache):
    run_training(tmp_path, demo_corpus, feature_cache, *RUN, "iterations=2")
    good = tmp_path / "checkpoints" / "last.ckpt"
    bad = tmp_path / "checkpoints" / "truncated.ckpt"
    bad.write_bytes(good.read_bytes()[:4096])
    with pytest.raises(CheckpointError, match="truncated.ckpt: unreadable or truncated"):
        run_training(tmp_path, demo_corpus, feature_cache, *RUN, "iterations=4", f"ckpt_path={bad}")
    assert load_checkpoint(good)["global_step"] == 4
    assert not list((tmp_path / "checkpoints").glob("*.tmp*"))


def test_nan_loss_stops_naming_the_loss_and_keeps_the_last_good_checkpoint(tmp_path, demo_corpus, feature_cache,
                                                                           monkeypatch):
    from fakevideo.tasks.base import TrainingDiverged
    from fakevideo.tasks.stargan import StarGANTask

    run_training(tmp_path, demo_corpus, feature_cache, *RUN, "iterations=2")
    good = load_checkpoint(tmp_path / "checkpoints" / "last.ckpt")["state_dict"]
    original = StarGANTask.generator_losses

    def poisoned(self, batch):
        terms = original(self, batch)
        return terms | {"cycle": terms["cycle"] * float("nan")}

    monkeypatch.setattr(StarGANTask, "generator_losses", poisoned)
    with pytest.raises(TrainingDiverged, match="loss cycle became non-finite at iteration 2"):
        run_training(tmp_path, demo_corpus, feature_cache, *RUN, "iterations=4", "ckpt_path=last")
    assert_same_weights(load_checkpoint(tmp_path / "checkpoints" / "last.ckpt")["state_dict"], good)
    run_training(tmp_path / "skip", demo_corpus, feature_cache, *RUN, "iterations=2", "model.nonfinite=skip")
    assert (tmp_path / "skip" / "checkpoints" / "last.ckpt").is_file()

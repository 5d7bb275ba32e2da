"""Training through the one trainer: iterations mean generator updates, losses fall, checkpoints resume."""

import csv
import json
import os
import re
from types import SimpleNamespace

import hydra
import numpy as np
import pytest
import torch
from conftest import run_training, train_overrides
from omegaconf import OmegaConf, open_dict

from fakevideo.atomic import write_json
from fakevideo.config import compose
from fakevideo.errors import CheckpointError, ConfigError
from fakevideo.training.checkpoints import load_checkpoint, load_task
from fakevideo.training.devices import check_devices
from fakevideo.training.run import build_trainer, check_run_knobs, evaluate_at_end


def read_metrics(run_dir):
    with open(run_dir / "csv" / "metrics.csv") as f:
        return list(csv.DictReader(f))


def series(rows, key):
    return np.array([float(r[key]) for r in rows if r.get(key)])


def test_tiny_run_lowers_reconstruction_loss(trained_stargan):
    cycle = series(read_metrics(trained_stargan), "train/g_cycle")
    assert len(cycle) >= 40
    assert cycle[-8:].mean() < 0.8 * cycle[:8].mean(), cycle


def test_run_directory_holds_config_checkpoints_samples_and_plots(trained_stargan):
    assert (trained_stargan / "checkpoints" / "last.ckpt").is_file()
    assert (trained_stargan / "data_lengths.png").stat().st_size > 1000
    config = OmegaConf.load(trained_stargan / "config.yaml")
    assert config.data.speakers == ["us1_f", "us2_m", "en1_m"] and config.data.num_speakers == 3
    samples = sorted((trained_stargan / "samples").glob("iter_*/*.wav"))
    assert {p.parent.name for p in samples} == {"iter_0000020", "iter_0000040"}
    assert len(samples) == 6
    assert series(read_metrics(trained_stargan), "val/mcd").size == 2


def test_training_length_counts_generator_iterations(trained_stargan, tmp_path, demo_corpus, feature_cache):
    assert load_checkpoint(trained_stargan / "checkpoints" / "last.ckpt")["global_step"] == 2 * 40
    run_training(tmp_path, demo_corpus, feature_cache, "data.num_speakers=2", "iterations=3", "model.n_critic=3",
                 "validate_every=100", "model.loss.adversarial=lsgan")
    checkpoint = load_checkpoint(tmp_path / "checkpoints" / "last.ckpt")
    assert checkpoint["global_step"] == 3 * (3 + 1)
    assert checkpoint["lr_schedulers"][0]["last_epoch"] == 3


def test_learning_rate_reaches_zero_at_the_end(trained_stargan):
    rows = read_metrics(trained_stargan)
    lr = series(rows, "lr/g")
    assert lr[0] == pytest.approx(1e-3) and lr[-1] == pytest.approx(0.0, abs=1e-12)


def test_one_optimisation_step_changes_generator_and_discriminator(tmp_path, demo_corpus, feature_cache):
    cfg = compose("train", train_overrides(demo_corpus, feature_cache, "data.num_speakers=2", "iterations=1",
                                           "validate_every=100"), tmp_path)
    dm = hydra.utils.instantiate(cfg.data)
    dm.setup()
    with open_dict(cfg):
        cfg.data.num_speakers = 2
    task = hydra.utils.instantiate(cfg.model)
    task.attach_data(dm.describe(), {})
    before = {k: v.clone() for k, v in task.state_dict().items()}
    build_trainer(cfg, task, tmp_path).fit(task, datamodule=dm)
    changed = {k for k, v in task.state_dict().items() if v.dtype.is_floating_point and not torch.equal(v, before[k])}
    for net in ("generator.", "discriminator.", "classifier."):
        assert any(k.startswith(net) for k in changed), net


def test_resume_continues_from_the_checkpoint(trained_stargan, tmp_path, demo_corpus, feature_cache):
    run_dir = tmp_path / "run"
    run_training(run_dir, demo_corpus, feature_cache, "data.num_speakers=2", "iterations=4", "validate_every=100")
    first = load_checkpoint(run_dir / "checkpoints" / "last.ckpt")
    run_training(run_dir, demo_corpus, feature_cache, "data.num_speakers=2", "iterations=8", "validate_every=100",
                 "ckpt_path=last")
    resumed = load_checkpoint(run_dir / "checkpoints" / "last.ckpt")
    assert first["global_step"] == 8 and resumed["global_step"] == 16
    assert resumed["lr_schedulers"][0]["last_epoch"] == 8
    steps = [int(r["step"]) for r in read_metrics(run_dir) if r.get("train/g_total")]
    assert steps == sorted(steps) and len(steps) == len(set(steps)) == 8


def test_resuming_with_another_feature_config_is_refused(trained_stargan, tmp_path, demo_corpus, feature_cache):
    with pytest.raises(CheckpointError, match="feature"):
        run_training(tmp_path, demo_corpus, feature_cache, "data.speakers=[us1_f,us2_m,en1_m]", "iterations=41",
                     "data.sample_rate=22050", f"ckpt_path={trained_stargan / 'checkpoints' / 'last.ckpt'}")


@pytest.mark.parametrize("logger,expected", [("tensorboard", "tensorboard/events.out.tfevents.*"),
                                             ("wandb", "wandb/offline-run-*")])
def test_dashboards_work_offline(tmp_path, demo_corpus, feature_cache, logger, expected, monkeypatch):
    monkeypatch.setenv("WANDB_MODE", "offline")
    monkeypatch.setenv("WANDB_SILENT", "true")
    run_training(tmp_path, demo_corpus, feature_cache, "data.num_speakers=2", "iterations=2", "validate_every=2",
                 f"logger={logger}")
    assert list(tmp_path.glob(expected)), sorted(p.name for p in tmp_path.iterdir())


def test_device_requests_beyond_the_machine_are_config_errors(monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 0)
    for accelerator, devices in [("cpu", 1), ("cpu", 2), ("cpu", "2"), ("cpu", -1), ("auto", "auto"), ("auto", 2)]:
        check_devices(accelerator, devices)
    for accelerator, devices, message in [
            ("cpu", 99, "trainer.devices=99: this machine has 2 CPU core"), ("auto", 3, "has 2 CPU core"),
            ("cpu", 0, "ask for 1 to 2"), ("cpu", [0, 2], "trainer.devices=[0, 2]"), ("cpu", "x", "must be a count"),
            ("gpu", 1, "trainer.accelerator=gpu: this machine has no CUDA GPU")]:
        with pytest.raises(ConfigError, match=re.escape(message)):
            check_devices(accelerator, devices)
    monkeypatch.setattr(torch.cuda, "device_count", lambda: 1)
    check_devices("gpu", 1)
    with pytest.raises(ConfigError, match=re.escape("trainer.devices=2: this machine has 1 CUDA GPU(s)")):
        check_devices("auto", 2)  # Lightning's auto takes the GPU when there is one


@pytest.mark.parametrize("weights", ["best", "last"])
def test_the_end_of_run_evaluation_uses_the_best_checkpoint(trained_stargan, weights, tmp_path):
    """A GAN's last weights are one point of a noisy walk: the test split is evaluated with the checkpoint kept by
    the optimised metric unless `evaluation.weights=last`; the summary says which."""
    best_path = trained_stargan / "checkpoints" / "best.ckpt"
    best = load_checkpoint(best_path)["state_dict"]
    task = load_task(best_path)
    with torch.no_grad():
        for parameter in task.parameters():
            parameter.add_(1.0)  # the "last" weights: anything other than the best
    last = {k: v.clone() for k, v in task.state_dict().items()}
    seen = {}

    def fake_evaluate(datamodule, out_dir, **options):
        seen.update(task.state_dict())
        out_dir.mkdir()
        write_json(out_dir / "metrics.json", {"overall": {"mcd": 9.0}})
        return {"overall": {"mcd": 9.0}}

    task.evaluate = fake_evaluate
    keeper = SimpleNamespace(monitor="val/conversion", best_model_path=str(best_path),
                             best_model_score=torch.tensor(3.0))
    trainer = SimpleNamespace(is_global_zero=True, checkpoint_callbacks=[keeper], loggers=[])
    cfg = OmegaConf.create({"evaluation": {"at_end": True, "weights": weights}})
    summary = evaluate_at_end(cfg, task, None, trainer, tmp_path)
    expected = best if weights == "best" else last
    assert all(torch.equal(seen[k], expected[k]) for k in expected)
    assert ("best.ckpt (best by val/conversion" in summary["evaluated"]) == (weights == "best")
    # the iteration of the evaluated weights is kept with the numbers (a best checkpoint at the start is a finding)
    best_iteration = load_checkpoint(best_path)["global_step"] // task.steps_per_iteration
    assert summary["evaluated_iteration"] == (best_iteration if weights == "best" else task.iteration)
    assert json.loads((tmp_path / "eval" / "metrics.json").read_text())["evaluated_iteration"] == \
        summary["evaluated_iteration"]


def test_an_unknown_evaluated_weights_choice_is_a_config_error(tmp_path):
    cfg = compose("train", ["evaluation.weights=final"], tmp_path)
    with pytest.raises(ConfigError, match="evaluation.weights='final'"):
        check_run_knobs(cfg)


def test_a_cpu_time_budget_ends_training_like_its_last_iteration(tmp_path, demo_corpus, feature_cache):
    """`max_cpu_minutes` stops a run that asked for 500 iterations after a few; last.ckpt is written as at any end."""
    run_training(tmp_path, demo_corpus, feature_cache, "model=stargan_vc", "data.speakers=[us1_f,us2_m]",
                 "iterations=500", "max_cpu_minutes=0.02", "evaluation.at_end=false")
    steps = load_checkpoint(tmp_path / "checkpoints" / "last.ckpt")["global_step"]
    assert 0 < steps < 2 * 500 / 5


@pytest.mark.parametrize("decay", [0, 1, 1.5, "slow", True])
def test_a_bad_ema_decay_is_a_config_error(tmp_path, decay):
    with pytest.raises(ConfigError, match="ema_decay="):
        check_run_knobs(compose("train", [f"ema_decay={decay}"], tmp_path))


@pytest.mark.parametrize("budget", [0, -1, "soon", True])
def test_a_bad_cpu_budget_is_a_config_error(tmp_path, budget):
    cfg = compose("train", [f"max_cpu_minutes={budget}"], tmp_path)
    with pytest.raises(ConfigError, match="max_cpu_minutes="):
        check_run_knobs(cfg)


def test_weight_averaging_makes_checkpoints_and_conversion_use_the_averaged_weights(tmp_path, demo_corpus,
                                                                                     feature_cache):
    """`ema_decay` adds Lightning's EMAWeightAveraging; its checkpoints hold the averaged weights as the state_dict
    (the training weights beside them), and our loader converts with the averaged ones."""
    run_training(tmp_path, demo_corpus, feature_cache, "model=stargan_vc", "data.speakers=[us1_f,us2_m]",
                 "iterations=6", "validate_every=3", "evaluation.at_end=false",
                 "ema_decay=0.5")
    checkpoint = load_checkpoint(tmp_path / "checkpoints" / "best.ckpt")  # written mid-training, at a validation
    averaged, current = checkpoint["state_dict"], checkpoint["current_model_state"]
    names = [name for name in averaged if name.startswith("generator.")]
    assert names and any(not torch.equal(averaged[name], current[name]) for name in names)
    task = load_task(tmp_path / "checkpoints" / "best.ckpt")
    assert all(torch.equal(task.state_dict()[name], averaged[name]) for name in names)

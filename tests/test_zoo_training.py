"""The model zoo through the one trainer and converter: tiny runs learn, every network steps, checkpoints
round-trip exactly, one-to-one checkpoints convert both ways, and `-m experiment=glob(*)` runs every system."""

import csv
import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import REPO, build_task, run_training, train_overrides
from omegaconf import OmegaConf
from torch import nn

from fakevideo import zoo
from fakevideo.audio.io import load_audio
from fakevideo.config import CONF_DIR, compose
from fakevideo.data.vc import VCDataModule
from fakevideo.errors import ConfigError
from fakevideo.pipelines.convert import VoiceConverter
from fakevideo.tasks.cyclegan import CycleGANTask
from fakevideo.training.checkpoints import load_task
from fakevideo.training.run import build_trainer

ZOO = {model: zoo.speakers_needed(model) or 3 for model in zoo.trained_voice_models()}  # every model in conf/
FAST = ["data.batch_size=2", "data.crop_frames=32", "model.optimizer_g.lr=1e-3", "model.optimizer_d.lr=1e-3"]


def fast(model: str) -> list[str]:
    """FAST, plus two residual blocks for the generators that have a block count."""
    blocks = ["model.generator.num_blocks=2"] if "num_blocks" in zoo.composed(model).model.generator else []
    return [*FAST, *blocks]
ITERATIONS = 6
STEPS = 25


@pytest.fixture(scope="module", autouse=True)
def _single_thread(one_thread):
    """Every test here runs tiny networks."""


@pytest.fixture(scope="module")
def zoo_runs(tmp_path_factory, demo_corpus, feature_cache):
    """Run directories of every trained voice model of the zoo, tiny, trained on the demo corpus."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    runs = {}
    for model, speakers in ZOO.items():
        runs[model] = tmp_path_factory.mktemp(model)
        run_training(runs[model], demo_corpus, feature_cache, f"model={model}", f"data.num_speakers={speakers}",
                     f"iterations={ITERATIONS}", f"validate_every={ITERATIONS}", f"checkpoint_every={ITERATIONS}",
                     *fast(model))
    torch.set_num_threads(threads)
    return runs


def metrics(run_dir) -> list[dict]:
    with open(run_dir / "csv" / "metrics.csv") as f:
        return list(csv.DictReader(f))


def series(rows: list[dict], key: str) -> np.ndarray:
    return np.array([float(r[key]) for r in rows if r.get(key)])


@pytest.mark.parametrize("model", sorted(ZOO))
def test_tiny_runs_decay_the_learning_rate_to_zero(zoo_runs, model):
    rows = metrics(zoo_runs[model])
    assert series(rows, "train/g_cycle").size == ITERATIONS
    lr = series(rows, "lr/g")
    assert lr[0] == pytest.approx(1e-3) and lr[-1] == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("model", sorted(ZOO))
def test_the_task_objectives_lower_the_cycle_loss(model, tmp_path, demo_corpus, feature_cache):
    """Alternating critic and generator steps on the task's own losses, on one batch of the demo corpus."""
    _, datamodule, task = built_task(model, tmp_path, demo_corpus, feature_cache)
    batch = next(iter(datamodule.train_dataloader()))
    opt_g = torch.optim.Adam(task.generator_parameters(), 1e-3, betas=(0.5, 0.999))
    opt_d = torch.optim.Adam(task.discriminator_parameters(), 1e-3, betas=(0.5, 0.999))
    cycle = []
    for _ in range(STEPS):
        for optimizer, losses in ((opt_d, task.discriminator_losses), (opt_g, task.generator_losses)):
            terms = losses(batch)
            optimizer.zero_grad()
            sum(terms.values()).backward()
            optimizer.step()
        cycle.append(float(terms["cycle"].detach()))
    assert np.mean(cycle[-5:]) < 0.7 * cycle[0], cycle


def test_two_step_adversarial_loss_only_in_cyclegan_vc2(zoo_runs):
    vc2, vc = metrics(zoo_runs["cyclegan_vc2"])[0].keys(), metrics(zoo_runs["cyclegan_vc"])[0].keys()
    two_step = {"train/g_adv2_aba", "train/g_adv2_bab", "train/d_adv_a2", "train/d_adv_b2"}
    assert two_step <= set(vc2) and not two_step & set(vc)
    assert series(metrics(zoo_runs["cyclegan_vc2"]), "train/g_adv2_aba").size == ITERATIONS


def built_task(model: str, tmp_path, corpus, cache, *extra: str):
    cfg = compose("train", train_overrides(corpus, cache, f"model={model}", f"data.num_speakers={ZOO[model]}",
                                           "iterations=1", "validate_every=100", *fast(model), *extra), tmp_path)
    datamodule, task = build_task(cfg)
    return cfg, datamodule, task


@pytest.mark.parametrize("model", sorted(ZOO))
def test_one_step_moves_every_network_and_the_checkpoint_reproduces_outputs(model, tmp_path, demo_corpus,
                                                                           feature_cache):
    cfg, datamodule, task = built_task(model, tmp_path, demo_corpus, feature_cache)
    before = {k: v.clone() for k, v in task.state_dict().items()}
    build_trainer(cfg, task, tmp_path).fit(task, datamodule=datamodule)
    changed = {k.split(".")[0] for k, v in task.state_dict().items() if not torch.equal(v, before[k])}
    assert changed == {k.split(".")[0] for k in before}, changed
    loaded = load_task(tmp_path / "checkpoints" / "last.ckpt")
    assert type(loaded) is type(task) and loaded.speakers == task.speakers
    x = torch.randn(2, 36, 53)
    with torch.no_grad():
        for source, target in [(0, 1), (1, 0)]:
            torch.testing.assert_close(loaded.convert_normalized(x, source, target),
                                       task.eval().convert_normalized(x, source, target), rtol=0, atol=0)


@pytest.fixture(scope="module")
def one_to_one(zoo_runs):
    return VoiceConverter.from_checkpoint(zoo_runs["cyclegan_vc"] / "checkpoints" / "last.ckpt")


def test_one_to_one_checkpoint_converts_in_both_directions(one_to_one, demo_corpus):
    a, b = one_to_one.speakers
    first_two = sorted(p.name for p in demo_corpus.iterdir() if p.is_dir())[:2]
    assert one_to_one.task.model_name == "cyclegan_vc" and [a, b] == first_two
    audio, _ = load_audio(demo_corpus / a / "harvard_010.wav", 16000)
    odd = audio[:-77]
    a_to_b, b_to_a = one_to_one.convert(odd, a, b), one_to_one.convert(odd, b, a)
    assert a_to_b.shape == b_to_a.shape == odd.shape
    assert np.abs(a_to_b - b_to_a).mean() > 1e-3, "the two directions use different generators"


def test_one_to_one_checkpoint_refuses_other_directions_and_speakers(one_to_one):
    a, b = one_to_one.speakers
    with pytest.raises(ConfigError, match=f"one-to-one cyclegan_vc checkpoint converts {a} -> {b} or {b} -> {a}"):
        one_to_one.check_speakers(b, b)
    with pytest.raises(ConfigError, match="trg_spk='us1_f'"):
        one_to_one.check_speakers(a, "us1_f")


def test_many_to_many_checkpoint_converts_any_pair(zoo_runs, demo_corpus):
    converter = VoiceConverter.from_checkpoint(zoo_runs["stargan_vc2"] / "checkpoints" / "last.ckpt")
    assert converter.task.model_name == "stargan_vc2" and len(converter.speakers) == 3
    audio, _ = load_audio(demo_corpus / converter.speakers[2] / "harvard_011.wav", 16000)
    assert converter.convert(audio, converter.speakers[2], converter.speakers[0]).shape == audio.shape


def test_pairing_needs_exactly_two_speakers(demo_corpus, feature_cache):
    datamodule = VCDataModule(str(demo_corpus), {"f0_method": "dio"}, cache_dir=str(feature_cache), num_speakers=3,
                              pairing=True)
    with pytest.raises(ConfigError, match="data.pairing=true needs exactly 2 speakers"):
        datamodule.setup()


def test_cyclegan_task_needs_two_speakers_and_network_factories(tmp_path, demo_corpus, feature_cache):
    _, datamodule, task = built_task("cyclegan_vc", tmp_path, demo_corpus, feature_cache)
    with pytest.raises(ConfigError, match="exactly 2 speakers"):
        task.attach_data({**datamodule.describe(), "speakers": ["a", "b", "c"]}, {})
    assert datamodule.describe()["pairing"] is True  # taken from the task's data_needs
    with pytest.raises(ConfigError, match="data.pairing=False: cyclegan_vc trains on data.pairing=True"):
        task.attach_data({**datamodule.describe(), "pairing": False}, {"model_name": "cyclegan_vc"})
    with pytest.raises(ConfigError, match="_partial_"):
        CycleGANTask(nn.Conv1d(36, 36, 1), task.discriminator_a, optimizer_g=None, optimizer_d=None, iterations=1)
    with pytest.raises(ConfigError, match="A -> B or B -> A"):
        task.convert_normalized(torch.zeros(1, 36, 64), 1, 1)


def test_every_experiment_runs_in_one_multirun(tmp_path, demo_corpus):
    corpus = tmp_path / "corpus"
    for speaker in sorted(p.name for p in demo_corpus.iterdir() if p.is_dir())[:4]:
        (corpus / speaker).mkdir(parents=True)
        for wav in sorted((demo_corpus / speaker).glob("*.wav"))[:6]:
            shutil.copy(wav, corpus / speaker / wav.name)
    sweep = tmp_path / "sweep"
    result = subprocess.run(
        [sys.executable, str(REPO / "train.py"), "-m", "experiment=glob(*)", f"data.root={corpus}",
         "data.cache_dir=cache", "data.features.f0_method=dio", "data.num_test=2", "data.preprocess_workers=2",
         "size=tiny", "data.batch_size=2", "data.crop_frames=32", "iterations=2", "validate_every=1000",
         "trainer=cpu", "trainer.num_sanity_val_steps=0", "trainer.enable_progress_bar=false",
         "trainer.enable_model_summary=false", f"hydra.sweep.dir={sweep}",
         "hydra.sweep.subdir=${hydra.job.num}"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
        env={**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stderr[-3000:]
    experiments = sorted(p.stem for p in (CONF_DIR / "experiment").glob("*.yaml"))
    jobs = sorted(sweep.glob("*/checkpoints/last.ckpt"))
    ran = sorted(OmegaConf.load(ckpt.parent.parent / ".hydra" / "overrides.yaml")[0] for ckpt in jobs)
    assert ran == [f"experiment={name}" for name in experiments]

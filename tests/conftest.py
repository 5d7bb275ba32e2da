"""Shared fixtures: a small copy of the demo corpus and a tiny StarGAN-VC trained on it, made once per session.

Everything is CPU-only and offline: the corpus is synthesised with espeak-ng/MBROLA, features use dio (fast)."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path

import hydra
import pytest
import torch
from omegaconf import OmegaConf, open_dict

from fakevideo.config import compose
from fakevideo.data.demo import build_demo_corpus
from fakevideo.data.faces import FaceDataModule
from fakevideo.training.run import train

REPO = Path(__file__).resolve().parent.parent
TEST_SENTENCES = 12

FACE_DETECTOR = {"name": "dlib", "model": "hog", "upsample": 0}  # demo faces are > 80 px: no upsampling needed
FAST_DATA = ["data.features.f0_method=dio", "data.num_test=2", "data.preprocess_workers=2", "data.crop_frames=64"]


@pytest.fixture(scope="session")
def demo_corpus(tmp_path_factory) -> Path:
    """The demo corpus (all five speakers) with 12 sentences each."""
    return build_demo_corpus(tmp_path_factory.mktemp("corpus") / "vc", num_sentences=TEST_SENTENCES)


@pytest.fixture(scope="session")
def feature_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("features")


def train_overrides(corpus: Path, cache: Path, *extra: str) -> list[str]:
    """Overrides for a tiny, fast training run on the test corpus."""
    return [f"data.root={corpus}", f"data.cache_dir={cache}", *FAST_DATA, "size=tiny", "logger=csv",
            "trainer=cpu", "trainer.enable_progress_bar=false", "trainer.enable_model_summary=false",
            "trainer.log_every_n_steps=1", "trainer.num_sanity_val_steps=0", *extra]


def build_task(cfg):
    """The set-up datamodule and the task, attached to its data, exactly as train.py builds them from `cfg`."""
    datamodule = hydra.utils.instantiate(cfg.data)
    datamodule.setup()
    with open_dict(cfg):
        cfg.data.speakers = datamodule.speakers
    task = hydra.utils.instantiate(cfg.model)
    task.attach_data(datamodule.describe(), OmegaConf.to_container(cfg, resolve=True))
    return datamodule, task


def run_training(run_dir: Path, corpus: Path, cache: Path, *extra: str):
    cfg = compose("train", train_overrides(corpus, cache, *extra), run_dir)
    train(cfg)
    return cfg


@pytest.fixture(scope="session")
def trained_stargan(tmp_path_factory, demo_corpus, feature_cache) -> Path:
    """Run directory of a tiny StarGAN-VC trained for 40 iterations on three demo speakers."""
    run_dir = tmp_path_factory.mktemp("stargan_run")
    run_training(run_dir, demo_corpus, feature_cache, "model=stargan_vc", "data.speakers=[us1_f,us2_m,en1_m]",
                 "iterations=40", "validate_every=20", "checkpoint_every=20",
                 "model.optimizer_g.lr=1e-3", "model.optimizer_d.lr=1e-3")
    return run_dir


def run_provenance_check(path: Path) -> subprocess.CompletedProcess:
    """`python -m fakevideo.provenance check PATH`, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "fakevideo.provenance", "check", str(path)], capture_output=True,
                          text=True, cwd=REPO)


def copy_corpus(demo_corpus: Path, root: Path, speakers: tuple[str, ...], utterances: int = 7) -> Path:
    """A small user-style corpus folder: the first `utterances` files of some demo speakers."""
    for speaker in speakers:
        (root / speaker).mkdir(parents=True)
        for wav in sorted((demo_corpus / speaker).glob("*.wav"))[:utterances]:
            shutil.copy(wav, root / speaker)
    return root


@pytest.fixture
def small_corpus(tmp_path, demo_corpus) -> Path:
    """A writable copy of two demo speakers, for tests that add bad files."""
    root = tmp_path / "corpus"
    for speaker in ("us1_f", "us2_m"):
        shutil.copytree(demo_corpus / speaker, root / speaker)
    return root


@pytest.fixture(scope="module")
def one_thread():
    """Tiny networks run faster on one thread than on two contended ones (modules opt in with an autouse
    fixture that requests this one)."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


def face_overrides(face_dirs, model, *extra):
    """Overrides for a tiny, fast FSGAN training run (64 px, 8 channels) on the demo faces of `face_dirs`."""
    demo, cache = face_dirs
    return [f"model={model}", "data=faces", f"data.demo_dir={demo}", f"data.cache_dir={cache}",
            "data.detector.upsample=0", "data.image_size=64", "width=8", "++model.generator.depth=3",
            "++model.generator.bottleneck_blocks=1", "++model.generator.local_blocks=1", "logger=csv",
            "trainer=cpu", "trainer.enable_progress_bar=false", "trainer.enable_model_summary=false",
            "trainer.log_every_n_steps=1", "trainer.num_sanity_val_steps=0", "model.optimizer_g.lr=2e-3", *extra]


@pytest.fixture(scope="session")
def face_dirs(tmp_path_factory):
    """Demo faces made on first use by the datamodule itself, and their preprocessing cache."""
    demo, cache = tmp_path_factory.mktemp("faces") / "demo", tmp_path_factory.mktemp("face_cache")
    FaceDataModule(demo_dir=str(demo), cache_dir=str(cache), detector=FACE_DETECTOR).prepare_data()
    return demo, cache


@pytest.fixture
def bench_module(monkeypatch):
    """Import a bench/ script as a module, fresh, by name (bench/ is not a package; its scripts import each other)."""
    monkeypatch.syspath_prepend(str(REPO / "bench"))

    def load(name: str):
        sys.modules.pop(name, None)
        return importlib.import_module(name)

    return load

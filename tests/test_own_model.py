"""A model of one's own joins the zoo without an edit to the project: a config and a module written in the test's
temporary directory, found through Hydra's search path (`hydra.searchpath=[file://DIR]`), train, convert with
convert.py, and are listed by the sweep over every voice model and by the training-step benchmark. The stored-config
allow-list trusts the configs on the search path the user gives to a command, never a checkpoint's say."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from conftest import REPO, run_training

from fakevideo import zoo
from fakevideo.config import CONF_DIR, compose
from fakevideo.errors import CheckpointError
from fakevideo.provenance import read_wav_label
from fakevideo.tasks.base import CHECKPOINT_KEY
from fakevideo.tasks.cyclegan import CycleGANTask
from fakevideo.training.checkpoints import load_checkpoint, load_task

NAME = "throwaway_vc"
MODULE = '''"""A throw-away one-to-one voice model: CycleGAN-VC2's 2-1-2D body with a single residual block."""
from fakevideo.nn.two_one_two import TwoOneTwoGenerator


class TinyGenerator(TwoOneTwoGenerator):
    def __init__(self, mcep_dim: int, base_channels: int = 32):
        super().__init__(mcep_dim, base_channels, num_blocks=1)


class Unlisted(TinyGenerator):
    """Importable, with the same weights, but named by no config."""
'''
CONFIG = """# A throw-away one-to-one voice model: the project's CycleGAN recipe with a generator of its own.
defaults:
  - vc/cyclegan@_here_
  - _self_
generator:
  _target_: throwaway_vc.TinyGenerator
discriminator:
  _target_: fakevideo.models.cyclegan_vc2.PatchGANDiscriminator
"""
SWEEP_APP = """import hydra

import fakevideo.config  # noqa: F401  (resolvers)


@hydra.main(version_base="1.3", config_path="{conf}", config_name="train")
def main(cfg):
    print("job", cfg.model_name)


main()
"""
SPEAKERS = ("us1_f", "us2_m")
FAST = ["width=4", "data.batch_size=1", "data.crop_frames=32"]


@pytest.fixture(scope="module")
def own_model(tmp_path_factory) -> Path:
    """DIR with DIR/conf/model/throwaway_vc.yaml and DIR/throwaway_vc.py, the module importable."""
    root = tmp_path_factory.mktemp("own_model")
    (root / "conf" / "model").mkdir(parents=True)
    (root / "conf" / "model" / f"{NAME}.yaml").write_text(CONFIG)
    (root / f"{NAME}.py").write_text(MODULE)
    with pytest.MonkeyPatch.context() as patch:
        patch.syspath_prepend(str(root))
        yield root
    sys.modules.pop(NAME, None)


def search_path(root: Path) -> str:
    return f"hydra.searchpath=[file://{root / 'conf'}]"


def test_the_zoo_and_the_models_sweep_list_it(own_model, tmp_path):
    search = search_path(own_model)
    assert NAME in zoo.trained_voice_models([search]) and zoo.speakers_needed(NAME, [search]) == 2
    assert NAME not in zoo.model_options()  # without the search path, the project's own list
    # `train.py -m +sweep=models` as Hydra expands it: an app on conf/train.yaml that only names its model. Hydra
    # 1.3's glob sweeps list conf/ and --config-dir, not hydra.searchpath (hydra issue #1942).
    (tmp_path / "app.py").write_text(SWEEP_APP.format(conf=CONF_DIR))
    result = subprocess.run([sys.executable, str(tmp_path / "app.py"), "-m", "--config-dir",
                             str(own_model / "conf"), "+sweep=models", f"hydra.sweep.dir={tmp_path / 'sweep'}"],
                            cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    swept = [line.split()[1] for line in result.stdout.splitlines() if line.startswith("job ")]
    assert swept == zoo.voice_models([search]) and NAME in swept


def test_the_training_step_benchmark_measures_it(own_model, bench_module):
    train_step = bench_module("train_step")
    search = search_path(own_model)
    assert NAME in train_step.models([search]) and NAME not in train_step.models()
    row = train_step.measure(NAME, "cpu", "32-true", 1, [search, *FAST])  # what main() prints for it
    model, speakers, batch, crop, seconds, *_ = row.split()
    assert (model, speakers, batch, crop) == (NAME, "2", "1", "32") and float(seconds) > 0


@pytest.fixture(scope="module")
def own_run(own_model, tmp_path_factory, demo_corpus, feature_cache) -> Path:
    run_dir = tmp_path_factory.mktemp("own_run")
    run_training(run_dir, demo_corpus, feature_cache, search_path(own_model), f"model={NAME}",
                 f"data.speakers=[{','.join(SPEAKERS)}]", "iterations=2", "evaluation.at_end=false",
                 "data.batch_size=1")
    return run_dir / "checkpoints" / "last.ckpt"


def convert(checkpoint: Path, wav: Path, out: Path, own_model: Path) -> subprocess.CompletedProcess:
    """convert.py as the user runs it: their module importable (PYTHONPATH), their config folder on the search path."""
    path = os.pathsep.join(filter(None, [str(own_model), os.environ.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, "convert.py", f"ckpt={checkpoint}", f"input={wav}", f"output={out}",
                           f"src_spk={SPEAKERS[0]}", f"trg_spk={SPEAKERS[1]}", search_path(own_model)], cwd=REPO,
                          env={**os.environ, "PYTHONPATH": path}, capture_output=True, text=True, timeout=600)


def test_it_trains_and_convert_py_converts_with_its_checkpoint(own_run, own_model, demo_corpus, tmp_path):
    info = torch.load(own_run, map_location="cpu", weights_only=True)[CHECKPOINT_KEY]
    assert info["family"] == NAME and info["config"]["data"]["pairing"] is True
    wav = demo_corpus / SPEAKERS[0] / "harvard_010.wav"
    result = convert(own_run, wav, tmp_path, own_model)
    assert result.returncode == 0, result.stderr
    (written,) = tmp_path.glob("*.wav")
    assert read_wav_label(written).model_family == NAME


def test_a_checkpoint_alone_adds_no_trust(own_run, own_model, tmp_path):
    stored = load_checkpoint(own_run)[CHECKPOINT_KEY]["config"]
    assert str(own_model) in str(stored["hydra"]["searchpath"])  # the checkpoint even says where its config was
    compose("train", [], tmp_path)  # a command without the user's search path
    with pytest.raises(CheckpointError, match=f"'{NAME}.TinyGenerator' is named by no model or data config"):
        load_task(own_run)
    compose("train", [search_path(own_model)], tmp_path)  # with it, a class no config names stays refused,
    hostile = torch.load(own_run, map_location="cpu", weights_only=True)  # importable and fitting as it is
    hostile[CHECKPOINT_KEY]["config"]["model"]["generator"]["_target_"] = f"{NAME}.Unlisted"
    torch.save(hostile, tmp_path / "unlisted.ckpt")
    with pytest.raises(CheckpointError, match=f"'{NAME}.Unlisted' is named by no model or data config"):
        load_task(tmp_path / "unlisted.ckpt")
    assert isinstance(load_task(own_run), CycleGANTask)  # the genuine one loads

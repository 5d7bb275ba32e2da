"""Every Hydra config composes, and every model config builds with a tiny size (the configs are code)."""

from pathlib import Path

import hydra
import pytest
from omegaconf import open_dict

from fakevideo.config import CONF_DIR, compose, mcep_dim_for_rate


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


def test_the_voice_models_build(tmp_path):
    for model in [m for m in options("model") if not m.startswith("fsgan")]:
        cfg = compose("train", [f"model={model}", "size=tiny", "data.num_speakers=3"], tmp_path)
        with open_dict(cfg):
            cfg.data.num_speakers = 3
        task = hydra.utils.instantiate(cfg.model)
        assert task.iterations == cfg.iterations


@pytest.mark.parametrize("group", ["trainer", "logger", "size", "data"])
def test_every_option_of_every_group_composes(tmp_path, group):
    for option in options(group):
        cfg = compose("train", [f"{group}={option}"], tmp_path)
        assert cfg.hydra.runtime.choices[group] == option


def test_experiments_compose(tmp_path):
    for experiment in options("experiment"):
        cfg = compose("train", [f"experiment={experiment}"], tmp_path)
        assert cfg.hydra.runtime.choices.experiment == experiment


def test_mcep_order_follows_the_sample_rate(tmp_path):
    assert mcep_dim_for_rate(16000) == 36 and mcep_dim_for_rate(22050) == 34
    cfg = compose("train", ["data.sample_rate=22050"], tmp_path)
    assert cfg.data.features.sample_rate == 22050 and cfg.data.features.mcep_dim == 34


def test_convert_config_composes(tmp_path):
    cfg = compose("convert", ["ckpt=x", "src_spk=a", "trg_spk=b", "input=i"], Path(tmp_path))
    assert cfg.output == "converted" and cfg.device == "cpu"


@pytest.mark.parametrize("sweep", options("sweep"))
def test_every_sweep_composes_as_a_multirun(tmp_path, sweep):
    cfg = compose("train", [f"+sweep={sweep}"], tmp_path)
    assert str(cfg.hydra.mode) == "RunMode.MULTIRUN" and cfg.hydra.sweeper.params


@pytest.mark.parametrize("launcher", sorted(p.stem for p in (CONF_DIR / "hydra" / "launcher").glob("*.yaml")))
def test_launchers_compose(tmp_path, launcher):
    cfg = compose("train", [f"hydra/launcher={launcher}"], tmp_path)
    assert cfg.hydra.launcher._target_.startswith("hydra_plugins.")

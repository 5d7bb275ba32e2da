"""Every Hydra config composes, and every model config builds with a tiny size (the configs are code)."""

from pathlib import Path

import hydra
import pytest
from omegaconf import open_dict

from fakevideo import zoo
from fakevideo.config import CONF_DIR, compose, mcep_dim_for_rate
from fakevideo.errors import user_error


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


LOOP_KNOBS = ("lr_decay_start", "grad_clip", "nonfinite", "channels_last", "compile", "n_critic")


def test_loop_knobs_and_voice_loss_defaults_have_one_home():
    """Model configs are small diffs over conf/model/base (the loop) and conf/model/vc/gan.yaml (voice GANs)."""
    for path in (CONF_DIR / "model").rglob("*.yaml"):
        if path.parent.name == "base":
            continue
        keys = {line.split(":")[0].strip() for line in path.read_text().splitlines() if ":" in line}
        assert not keys & set(LOOP_KNOBS), (path, keys & set(LOOP_KNOBS))
        if path.stem in zoo.trained_voice_models():
            assert not keys & {"identity_until", "cycle", "samples_to_write", "level_margin_db"}, path


def test_a_missing_loss_weight_is_a_config_error_naming_it(tmp_path):
    cfg = compose("train", ["model=stargan_vc", "size=tiny", "~model.loss.identity_until"], tmp_path)
    with open_dict(cfg):
        cfg.data.num_speakers = 3
    with pytest.raises(Exception) as err:
        hydra.utils.instantiate(cfg.model)
    assert "model.loss.identity_until: missing" in str(user_error(err.value))


def test_the_models_sweep_covers_every_voice_model_in_conf(tmp_path):
    from hydra.core.override_parser.overrides_parser import OverridesParser

    cfg = compose("train", ["+sweep=models"], tmp_path)
    sweep = OverridesParser.create().parse_overrides([f"model={cfg.hydra.sweeper.params.model}"])[0].value()
    assert sweep.filter(zoo.model_options()) == zoo.voice_models()
    assert {"maskcyclegan_vc", "baseline_meanvar", "cyclegan_vc2"} <= set(zoo.voice_models())

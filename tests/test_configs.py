"""Every Hydra config composes, and every model config builds with a tiny size (the configs are code)."""

from pathlib import Path

import hydra
import pytest
import torch
import yaml
from omegaconf import OmegaConf, open_dict

from fakevideo import zoo
from fakevideo.config import CONF_DIR, compose, mcep_dim_for_rate
from fakevideo.errors import user_error
from fakevideo.models.stargan_vc2 import StarGANVC2Discriminator


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


def test_the_voice_models_build(tmp_path):
    for model in zoo.voice_models():
        cfg = compose("train", [f"model={model}", "size=tiny", "data.num_speakers=3"], tmp_path)
        with open_dict(cfg):
            cfg.data.num_speakers = 3
        task = hydra.utils.instantiate(cfg.model)
        # the run's length, except for the closed-form baseline: one batch, whatever the run's iterations
        assert task.iterations == (cfg.iterations if model in zoo.trained_voice_models() else 1)


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


def test_sweep_job_folders_fit_the_file_system_and_stay_distinct(tmp_path):
    """An Optuna trial's overrides (floats at full precision) joined into one folder name pass 255 bytes."""
    trial = [f"model.optimizer_g.lr={0.00034878527126234907 + i}" for i in range(2)]
    names = []
    for lr in trial:
        overrides = ["model=stargan_vc", "data.speakers=[us1_f,us2_m]", lr, "model.optimizer_d.lr=0.000432647079973",
                     "model.loss.adversarial=hinge", "model.generator.residual=True", "validate_every=50"] * 3
        cfg = compose("train", [], tmp_path)
        OmegaConf.set_readonly(cfg.hydra, False)
        with open_dict(cfg):
            cfg.hydra.job.override_dirname = ",".join(overrides)
        names.append(cfg.hydra.sweep.subdir)
        assert len(",".join(overrides)) > 255 and len(names[-1].encode()) <= 160
        assert names[-1].startswith("model=stargan_vc,data.speakers=[us1_f,us2_m]")
        (tmp_path / names[-1]).mkdir()
    assert names[0] != names[1]
    short = compose("train", ["seed=3"], tmp_path).hydra.sweep.subdir
    assert short == "seed=3"


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


def test_model_configs_hold_model_settings_only():
    """One style for every model: a plain model-package config (no `@package _global_`, nothing written outside
    `model`); what a model needs of the data comes from its task class, not from its config."""
    for path in (CONF_DIR / "model").rglob("*.yaml"):
        text = path.read_text()
        assert "@package" not in text and "${model." not in text, path
        assert "data" not in (yaml.safe_load(text) or {}), path
    for path in (CONF_DIR / "data").glob("*.yaml"):
        assert "${model." not in path.read_text(), path


@pytest.mark.parametrize(("overrides", "pairing"), [
    (["model=cyclegan_vc"], True), (["model=maskcyclegan_vc"], True), (["model=stargan_vc"], False),
    (["model=baseline_meanvar"], False), (["experiment=seed_a_cyclegan_vc"], True),
    (["model=fsgan_blending", "data=faces"], "cross_identity"),
    (["model=fsgan_completion", "data=faces"], "same_video"),
    (["model=stargan_vc", "data.pairing=true"], True),  # an explicit setting wins (a needing task checks it)
])
def test_the_data_config_takes_what_the_task_needs(tmp_path, overrides, pairing):
    assert compose("train", overrides, tmp_path).data.pairing == pairing


def test_paper_batch_of_the_one_to_one_models_is_a_size_setting(tmp_path):
    for overrides in (["model=cyclegan_vc2"], ["experiment=maskcyclegan_vc_2spk"], ["model=cyclegan_vc"]):
        assert compose("train", overrides, tmp_path).data.batch_size == 1
    assert compose("train", ["model=stargan_vc2"], tmp_path).data.batch_size == 8
    assert compose("train", ["model=cyclegan_vc", "size=tiny"], tmp_path).data.batch_size == 2


@pytest.mark.parametrize("model", zoo.trained_voice_models())
def test_size_cpu_is_size_tiny_plus_the_short_budget_recipe(tmp_path, model):
    """size=cpu keeps each family's size=tiny cost and adds the recipe (conf/size/cpu.yaml): a generator correcting
    c0..c7, weight averaging, the best averaged weights by val/conversion evaluated. A new family needs its
    size_model/cpu_*.yaml."""
    tiny = compose("train", [f"model={model}", "size=tiny"], tmp_path)
    cpu = compose("train", [f"model={model}", "size=cpu"], tmp_path)
    assert (cpu.width, cpu.data.batch_size) == (tiny.width, tiny.data.batch_size)
    assert cpu.model.generator.residual == 8 and not tiny.model.generator.residual
    assert cpu.ema_decay == 0.99 and cpu.evaluation.weights == "best"


def test_size_cpu_gives_stargan_vc_stargan_vc2s_critic_and_a_generator_that_reads_the_pair(tmp_path):
    """StarGAN-VC's CPU recipe departs from the paper's critic (bench/RESULTS.md: with its own it never leaves its
    start); size=tiny and size=paper keep the paper's critic and domain classifier."""
    recipe = compose("train", ["model=stargan_vc", "size=cpu", "data.num_speakers=2"], tmp_path)
    cpu = hydra.utils.instantiate(recipe.model)
    assert cpu.conditioning == "pair" and cpu.classifier is None and cpu.loss["adversarial"] == "lsgan"
    assert isinstance(cpu.discriminator, StarGANVC2Discriminator)
    code = cpu.code(torch.tensor([0]), torch.tensor([1]))
    assert cpu.generator(torch.zeros(1, 36, 32), code).shape == (1, 36, 32)
    tiny = compose("train", ["model=stargan_vc", "size=tiny"], tmp_path).model
    assert tiny.conditioning == tiny.generator.conditioning == "target" and tiny.classifier is not None

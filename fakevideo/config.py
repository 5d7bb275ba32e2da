"""OmegaConf resolvers the configs use; registered once, on import of the training and conversion code."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from hydra import compose as hydra_compose
from hydra import initialize_config_dir
from hydra.core.global_hydra import GlobalHydra
from hydra.core.hydra_config import HydraConfig
from hydra.core.object_type import ObjectType
from omegaconf import DictConfig, OmegaConf, open_dict

CONF_DIR = Path(__file__).resolve().parent.parent / "conf"

# MCEP order by sample rate: 36 at 16 kHz (VCC2018 recipes), 34 at 22.05 kHz and above (the CycleGAN-VC2 and
# StarGAN-VC2 papers use 34 at 22.05 kHz; no paper fixes another value for higher rates).
_MCEP_DIM_BY_RATE = ((16000, 36), (10**9, 34))


def mcep_dim_for_rate(sample_rate: int) -> int:
    return next(dim for limit, dim in _MCEP_DIM_BY_RATE if int(sample_rate) <= limit)


# A sweep job's folder is named by its overrides; file systems refuse names over 255 bytes, and an Optuna trial
# with a few float overrides passes that. Longer names keep a readable head and a hash of the whole.
MAX_RUN_KEY = 160


def run_key(override_dirname: str) -> str:
    """The folder name of one sweep job: its overrides as Hydra joins them, shortened with a hash when too long
    (distinct override sets stay distinct folders)."""
    if len(override_dirname.encode()) <= MAX_RUN_KEY:
        return override_dirname
    digest = hashlib.sha1(override_dirname.encode()).hexdigest()[:12]
    head = override_dirname.encode()[:MAX_RUN_KEY - len(digest) - 1].decode(errors="ignore")
    return f"{head}~{digest}"


def task_needs(*key_and_default: Any, _root_: Any) -> Any:
    """`${task_needs:KEY,DEFAULT}`: what the configured task needs of the datamodule (fakevideo.contracts)."""
    from fakevideo.contracts import task_needs as needs  # on first use: the contracts import Lightning

    return needs(*key_and_default, _root_=_root_)


def register_resolvers() -> None:
    for name, function in (("mcep_dim", mcep_dim_for_rate), ("run_key", run_key), ("task_needs", task_needs)):
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, function)


register_resolvers()


def compose(config_name: str, overrides: list[str], run_dir: str | Path) -> DictConfig:
    """Compose a config from `conf/` as the entry points would, for use from Python (demo, tests, notebooks).

    Hydra's runtime values (`${hydra:runtime.output_dir}`) are set to `run_dir`, so the composed config resolves
    exactly as under `python train.py ... hydra.run.dir=run_dir`.
    """
    with initialize_config_dir(version_base="1.3", config_dir=str(CONF_DIR), job_name=config_name):
        cfg = hydra_compose(config_name, overrides=[*overrides, f"hydra.run.dir={run_dir}"],
                            return_hydra_config=True)
    with open_dict(cfg):
        cfg.hydra.runtime.output_dir = str(Path(run_dir).absolute())
        cfg.hydra.job.override_dirname = ",".join(overrides)
    HydraConfig.instance().set_config(cfg)
    return cfg


def group_options(group: str, overrides: Sequence[str] = (), config_name: str = "train") -> list[str]:
    """The options of a config group as Hydra offers them to `config_name` with these overrides: conf/<group> and
    the <group> folder of every directory on the search path (`hydra.searchpath=[file://DIR]` among the overrides),
    exactly what `model=NAME` and a sweep's `glob(*)` choose from; subfolders are groups of parts, not options."""
    with initialize_config_dir(version_base="1.3", config_dir=str(CONF_DIR), job_name="options"):
        loader = GlobalHydra.instance().config_loader()
        return sorted(loader.get_group_options(group, ObjectType.CONFIG, config_name, list(overrides)))

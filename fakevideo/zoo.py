"""The model zoo, derived from `conf/model/`: every list of models (benchmarks, tests, reports) comes from here, so
a new model is its module and its config, and nothing else to edit."""

from __future__ import annotations

import functools
import tempfile

from hydra.utils import get_class
from omegaconf import DictConfig

from fakevideo.config import CONF_DIR, compose


def model_options() -> list[str]:
    """Every model config: conf/model/*.yaml (its subfolders hold shared parts, not models)."""
    return sorted(path.stem for path in (CONF_DIR / "model").glob("*.yaml"))


@functools.cache
def composed(model: str, size: str = "paper") -> DictConfig:
    """The training config of `model=<model> size=<size>` (unresolved: no data is needed to read it)."""
    return compose("train", [f"model={model}", f"size={size}"], tempfile.gettempdir())


def task_class(model: str) -> type:
    return get_class(composed(model).model._target_)


def voice_models() -> list[str]:
    """Model configs whose task converts voices (the mean/variance baseline included)."""
    from fakevideo.tasks.vc import VoiceConversionTask

    return [model for model in model_options() if issubclass(task_class(model), VoiceConversionTask)]


def trained_voice_models() -> list[str]:
    """Voice models with networks to train: the GANs, not the closed-form baseline."""
    from fakevideo.tasks.baseline import MeanVarianceTask

    return [model for model in voice_models() if not issubclass(task_class(model), MeanVarianceTask)]


def speakers_needed(model: str) -> int | None:
    """2 for one-to-one models (paired batches), None for many-to-many ones."""
    return 2 if composed(model).data.pairing else None

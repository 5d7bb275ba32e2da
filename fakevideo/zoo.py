"""The model zoo, derived from the `model` config group: every list of models (benchmarks, sweeps, tests,
reports) comes from here, so a new model is its module and its config, and nothing else to edit.

The group is read as Hydra reads it: conf/model and the model/ folder of every directory on the search path. A
researcher's own model lives outside the project (a config in DIR/model/, its module importable) and joins every
list with `hydra.searchpath=[file://DIR]` among the overrides, the same override train.py and convert.py take.
"""

from __future__ import annotations

import functools
import tempfile
from collections.abc import Sequence

from hydra.utils import get_class
from omegaconf import DictConfig

from fakevideo.config import compose, group_options


def model_options(overrides: Sequence[str] = ()) -> list[str]:
    """Every model config: conf/model/*.yaml and any on the search path (its subfolders hold shared parts)."""
    return group_options("model", overrides)


@functools.cache
def _composed(model: str, size: str, overrides: tuple[str, ...]) -> DictConfig:
    return compose("train", [*overrides, f"model={model}", f"size={size}"], tempfile.gettempdir())


def composed(model: str, size: str = "paper", overrides: Sequence[str] = ()) -> DictConfig:
    """The training config of `model=<model> size=<size>` (unresolved: no data is needed to read it)."""
    return _composed(model, size, tuple(overrides))


def task_class(model: str, overrides: Sequence[str] = ()) -> type:
    return get_class(composed(model, overrides=overrides).model._target_)


def voice_models(overrides: Sequence[str] = ()) -> list[str]:
    """Model configs whose task converts voices (the mean/variance baseline included)."""
    from fakevideo.tasks.vc import VoiceConversionTask

    return [model for model in model_options(overrides)
            if issubclass(task_class(model, overrides), VoiceConversionTask)]


def trained_voice_models(overrides: Sequence[str] = ()) -> list[str]:
    """Voice models with networks to train: the GANs, not the closed-form baseline."""
    from fakevideo.tasks.baseline import MeanVarianceTask

    return [model for model in voice_models(overrides)
            if not issubclass(task_class(model, overrides), MeanVarianceTask)]


def speakers_needed(model: str, overrides: Sequence[str] = ()) -> int | None:
    """2 for one-to-one models (their task needs paired batches), None for many-to-many ones."""
    return 2 if task_class(model, overrides).data_needs.get("pairing") else None

"""The contracts between the one trainer, the datamodules and the tasks, named so that neither side reaches into
the other's attributes.

- A datamodule for `fakevideo.training.run.train` is a LightningDataModule that also describes its data
  (`describe`: resolved facts such as the speaker list, written into the config and carried by checkpoints) and
  writes its plots into the run folder (`write_summary`).
- A task reports how many training batches it has consumed (`batches_done`), so that a datamodule serving a
  resumed run continues its sample stream where the interrupted run stopped.
- A task class declares the datamodule settings its recipe cannot train without (`data_needs`, e.g. CycleGAN's
  paired batches of two speakers, each FSGAN recipe's kind of face pairs). The data configs take them with
  `${task_needs:KEY,DEFAULT}` (registered in fakevideo.config), the one place where the data group reads the model
  group: model configs stay pure model settings, data configs pure data settings, and a new model's needs live in
  its code, next to the loss that has them. An explicit `data.KEY=...` still wins, and the task refuses a
  conflicting one when it is attached to the data (`check_data_needs`).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import pytorch_lightning as pl
from hydra.utils import get_class

from fakevideo.errors import ConfigError


@runtime_checkable
class RunDataModule(Protocol):
    def describe(self) -> dict: ...

    def write_summary(self, folder: Path) -> None: ...


@runtime_checkable
class ConsumesBatches(Protocol):
    @property
    def batches_done(self) -> int: ...


def batches_consumed(trainer: pl.Trainer | None) -> int:
    """Training batches the trainer's task has consumed so far; 0 outside training or for other modules."""
    module = trainer.lightning_module if trainer is not None else None
    return module.batches_done if isinstance(module, ConsumesBatches) else 0


#: `${task_needs:KEY}` without a default: the task must declare KEY
_REQUIRED = object()


def task_needs(key: str, default: Any = _REQUIRED, *, _root_: Any) -> Any:
    """Resolver `${task_needs:KEY,DEFAULT}`: the value the configured task class (`model._target_`) declares for
    the datamodule setting KEY in its `data_needs`, else DEFAULT; a need no task declares and no default is a
    ConfigError."""
    target = _root_.model._target_
    needs: Mapping[str, Any] = getattr(get_class(target), "data_needs", {})
    if key in needs:
        return needs[key]
    if default is _REQUIRED:
        raise ConfigError(f"data.{key}: model._target_={target} declares no need for it (data_needs); this data "
                          f"config is for the tasks that do")
    return default


def check_data_needs(needs: Mapping[str, Any], data_info: dict, model_name: str) -> None:
    """A datamodule described (`describe`) with a setting the task cannot train on is a one-line ConfigError."""
    for key, needed in needs.items():
        if key in data_info and data_info[key] != needed:
            raise ConfigError(f"data.{key}={data_info[key]}: {model_name} trains on data.{key}={needed} (leave "
                              f"data.{key} unset: the data configs take what the model needs)")

"""The contracts between the one trainer, the datamodules and the tasks, named so that neither side reaches into
the other's attributes.

- A datamodule for `fakevideo.training.run.train` is a LightningDataModule that also describes its data
  (`describe`: resolved facts such as the speaker list, written into the config and carried by checkpoints) and
  writes its plots into the run folder (`write_summary`).
- A task reports how many training batches it has consumed (`batches_done`), so that a datamodule serving a
  resumed run continues its sample stream where the interrupted run stopped.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol, runtime_checkable

import pytorch_lightning as pl


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

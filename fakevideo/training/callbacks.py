"""Callbacks every run gets: checkpoints named by generator iteration, and `last.ckpt` whatever the stop."""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl
from pytorch_lightning.utilities.exceptions import SIGTERMException
from pytorch_lightning.utilities.rank_zero import rank_zero_info


class SaveLastCheckpoint(pl.Callback):
    """Write `<dir>/last.ckpt` when training ends and when it is interrupted (Ctrl-C, SIGTERM from a scheduler's
    pre-emption), so the final weights exist whatever the stop. A loss that became NaN saves nothing: the last
    good checkpoint stays."""

    def __init__(self, dirpath: str | Path):
        self.path = Path(dirpath) / "last.ckpt"

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        trainer.save_checkpoint(self.path)

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        if isinstance(exception, KeyboardInterrupt | SIGTERMException):
            trainer.save_checkpoint(self.path)
            rank_zero_info(f"interrupted at iteration {pl_module.iteration}: saved {self.path}")

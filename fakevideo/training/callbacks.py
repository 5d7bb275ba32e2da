"""Callbacks every run gets: checkpoints named by generator iteration, and `last.ckpt` whatever the stop."""

from __future__ import annotations

from pathlib import Path

import pytorch_lightning as pl


class SaveLastCheckpoint(pl.Callback):
    """Write `<dir>/last.ckpt` when training ends, so the final weights exist even when the iteration count is
    not a multiple of the checkpoint interval."""

    def __init__(self, dirpath: str | Path):
        self.path = Path(dirpath) / "last.ckpt"

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        trainer.save_checkpoint(self.path)

"""Callbacks every run gets: checkpoints named by generator iteration, and `last.ckpt` whatever the stop."""

from __future__ import annotations

import hashlib
import time
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
        trainer.save_checkpoint(self.path, weights_only=False)  # full state: resumable

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        if isinstance(exception, KeyboardInterrupt | SIGTERMException):
            trainer.save_checkpoint(self.path, weights_only=False)
            rank_zero_info(f"interrupted at iteration {pl_module.iteration}: saved {self.path}")


class CpuTimeBudget(pl.Callback):
    """Stop training once this process has used `minutes` of CPU time (all its threads) since training began
    (`max_cpu_minutes`). On a shared machine a wall-clock budget (`trainer.max_time`) buys whatever the neighbours
    leave; a CPU budget buys the same computation wherever it runs, so budgeted comparisons stay comparable. The
    stop is an ordinary end of training: last.ckpt, the best checkpoint and the end-of-run evaluation follow."""

    def __init__(self, minutes: float):
        self.seconds = 60.0 * minutes
        self.start: float | None = None

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.start = time.process_time()

    def used_seconds(self) -> float:
        return 0.0 if self.start is None else time.process_time() - self.start

    def on_train_batch_end(self, trainer: pl.Trainer, *args) -> None:
        if self.used_seconds() >= self.seconds and not trainer.should_stop:
            trainer.should_stop = True
            rank_zero_info(f"CPU budget of {self.seconds / 60:g} min used: stopping")


class WeightDigest(pl.Callback):
    """At the end of training every rank writes a SHA-256 of its trainable weights to
    `<dirpath>/weights_rank<r>.sha256`: data-parallel replicas must end identical, and this shows whether they did
    (BatchNorm running statistics stay per replica and are not hashed). Add it with
    `+callbacks.digest._target_=fakevideo.training.callbacks.WeightDigest +callbacks.digest.dirpath=DIR`."""

    def __init__(self, dirpath: str | Path):
        self.dirpath = Path(dirpath)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        digest = hashlib.sha256()
        for name, tensor in sorted(pl_module.named_parameters()):
            digest.update(name.encode())
            digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
        self.dirpath.mkdir(parents=True, exist_ok=True)
        (self.dirpath / f"weights_rank{trainer.global_rank}.sha256").write_text(digest.hexdigest())

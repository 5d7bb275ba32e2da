"""Training progress in the units the configs use: generator iterations, not Lightning's global steps.

Lightning's own bars count optimiser steps (two or more per iteration) in an endless "epoch" (`Epoch 0/-2 ...
1000/2000`). This bar counts `iteration i/N` with it/s, ETA, the main losses and the last validation MCD; when
the output is not a terminal (nohup, SLURM, CI) it writes a plain log line every `log_every_s` seconds and after
each validation instead, so a log file shows that a long run is alive and how far it is.
"""

from __future__ import annotations

import logging
import sys
import time

import pytorch_lightning as pl
from pytorch_lightning.callbacks.progress import ProgressBar
from tqdm import tqdm

log = logging.getLogger(__name__)

#: validation metrics shown beside the losses when the task logs them (voice: MCD; faces: L1 / cross-entropy)
VALIDATION_HEADLINES = ("val/mcd", "val/l1", "val/ce")


def format_duration(seconds: float) -> str:
    """1h02m, 4m05s or 12s."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"


def short_metrics(metrics: dict, limit: int = 4) -> str:
    """The main training losses (totals first: `train/g_total` -> `g_total=13.8`) and the last validation
    headline."""
    train = sorted((k for k in metrics if k.startswith("train/")), key=lambda k: not k.endswith("_total"))
    losses = [(k.removeprefix("train/"), metrics[k]) for k in train[:limit]]
    losses += [(k, v) for k, v in metrics.items() if k in VALIDATION_HEADLINES]
    return " ".join(f"{name}={float(value):.3g}" for name, value in losses)


class IterationProgress(ProgressBar):
    """Progress in generator iterations: a tqdm bar on a terminal, plain log lines elsewhere."""

    def __init__(self, log_every_s: float = 60.0, interactive: bool | None = None):
        super().__init__()
        self.log_every_s = log_every_s
        self.interactive = sys.stderr.isatty() if interactive is None else interactive
        self.enabled = True
        self.bar: tqdm | None = None
        self.start_time = self.last_line = 0.0
        self.start_iteration = 0

    def disable(self) -> None:
        self.enabled = False

    def enable(self) -> None:
        self.enabled = True

    def status_line(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> str:
        """`iteration 500/1000 (50%) 2.31 it/s ETA 3m36s g_adv=0.41 ... val/mcd=9.8`."""
        done, total = pl_module.iteration, pl_module.iterations
        elapsed = time.monotonic() - self.start_time
        rate = (done - self.start_iteration) / elapsed if elapsed > 0 else 0.0
        eta = format_duration((total - done) / rate) if rate > 0 else "?"
        return (f"iteration {done}/{total} ({100 * done / total:.0f}%) {rate:.2f} it/s ETA {eta} "
                f"{short_metrics(trainer.callback_metrics)}").rstrip()

    def on_train_start(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.start_time = self.last_line = time.monotonic()
        self.start_iteration = pl_module.iteration
        if self.enabled and self.interactive and trainer.is_global_zero:
            self.bar = tqdm(total=pl_module.iterations, initial=pl_module.iteration, desc="iteration", unit="it",
                            dynamic_ncols=True, file=sys.stderr)

    def on_train_batch_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule, *args) -> None:
        if not (self.enabled and trainer.is_global_zero):
            return
        if self.bar is not None:
            self.bar.update(pl_module.iteration - self.bar.n)
            self.bar.set_postfix_str(short_metrics(trainer.callback_metrics), refresh=False)
        elif time.monotonic() - self.last_line >= self.log_every_s:
            self._log_line(trainer, pl_module)

    def on_validation_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if trainer.sanity_checking or not (self.enabled and trainer.is_global_zero):
            return
        if self.bar is not None:
            self.bar.set_postfix_str(short_metrics(trainer.callback_metrics))
        else:
            self._log_line(trainer, pl_module)

    def on_train_end(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def on_exception(self, trainer: pl.Trainer, pl_module: pl.LightningModule, exception: BaseException) -> None:
        self.on_train_end(trainer, pl_module)

    def _log_line(self, trainer: pl.Trainer, pl_module: pl.LightningModule) -> None:
        self.last_line = time.monotonic()
        log.info(self.status_line(trainer, pl_module))

"""Send audio samples, images and figures to whichever dashboards are configured (TensorBoard, wandb); the CSV logger
has no media, so samples are always written to the run directory as well."""

from __future__ import annotations

import numpy as np
from matplotlib.figure import Figure
from pytorch_lightning.loggers import Logger, TensorBoardLogger, WandbLogger


def log_audio(loggers: list[Logger], tag: str, audio: np.ndarray, sample_rate: int, step: int,
              caption: str = "") -> None:
    for logger in loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.experiment.add_audio(tag, audio[None], step, sample_rate=sample_rate)
        elif isinstance(logger, WandbLogger):
            logger.log_audio(key=tag, audios=[audio], step=step, sample_rate=[sample_rate], caption=[caption])


def log_figure(loggers: list[Logger], tag: str, figure: Figure, step: int) -> None:
    for logger in loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.experiment.add_figure(tag, figure, step, close=False)
        elif isinstance(logger, WandbLogger):
            logger.log_image(key=tag, images=[figure], step=step)


def log_image(loggers: list[Logger], tag: str, image: np.ndarray, step: int, caption: str = "") -> None:
    """An (H, W, 3) uint8 RGB image, e.g. a grid of generated faces."""
    for logger in loggers:
        if isinstance(logger, TensorBoardLogger):
            logger.experiment.add_image(tag, image, step, dataformats="HWC")
        elif isinstance(logger, WandbLogger):
            logger.log_image(key=tag, images=[image], step=step, caption=[caption])


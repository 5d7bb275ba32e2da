"""Loading fakevideo checkpoints safely (tensors and plain data only: `weights_only=True`, never arbitrary
pickles) and rebuilding the task they were saved from."""

from __future__ import annotations

import pickle
import zipfile
from pathlib import Path

import hydra
import torch

from fakevideo.errors import CheckpointError
from fakevideo.tasks.base import CHECKPOINT_KEY, GANTask


def load_checkpoint(path: str | Path) -> dict:
    """Read a checkpoint file; a missing, truncated or foreign file is a one-line CheckpointError."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except (RuntimeError, EOFError, OSError, zipfile.BadZipFile, pickle.UnpicklingError) as err:
        raise CheckpointError(f"{path}: unreadable or truncated checkpoint ({str(err).splitlines()[0]})") from None
    if not isinstance(checkpoint, dict) or CHECKPOINT_KEY not in checkpoint:
        raise CheckpointError(f"{path}: not a fakevideo checkpoint (written by train.py)")
    return checkpoint


def load_task(path: str | Path, expected: type[GANTask] = GANTask) -> GANTask:
    """Rebuild the task from the config stored in the checkpoint and load its weights (eval mode).

    `expected` is the kind of task the caller can use (e.g. VoiceConversionTask); another is a CheckpointError.
    """
    checkpoint = load_checkpoint(path)
    info = checkpoint[CHECKPOINT_KEY]
    task = hydra.utils.instantiate(info["config"]["model"])
    if not isinstance(task, expected):
        raise CheckpointError(f"{path}: a {info['config'].get('model_name', info['family'])} checkpoint, "
                              f"but a {expected.__name__} is needed here")
    try:
        task.load_state_dict(checkpoint["state_dict"])
    except RuntimeError as err:
        raise CheckpointError(f"{path}: weights do not fit the stored model config ({str(err).splitlines()[0]})") \
            from None
    task.attach_data(info["data"], info["config"])
    return task.eval()

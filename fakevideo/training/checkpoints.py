"""Loading fakevideo checkpoints safely and rebuilding the task they were saved from.

A checkpoint is untrusted input: it is read with `weights_only=True` (tensors and plain data, never arbitrary
pickles), its stored config may only build what the project's own configs name (`stored_config`), and the model is
first built on the meta device and compared with the stored weights, so a config cannot make this machine allocate
more than the checkpoint file itself holds.
"""

from __future__ import annotations

from pathlib import Path

import torch

from fakevideo.errors import CheckpointError
from fakevideo.tasks.base import CHECKPOINT_KEY, TrainingTask
from fakevideo.training.stored_config import build_stored, without_retired_keys


def load_checkpoint(path: str | Path) -> dict:
    """Read a checkpoint file; a missing, truncated or foreign file is a one-line CheckpointError."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"{path}: no such checkpoint")
    try:
        checkpoint = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:  # noqa: BLE001 - a text file, a truncated zip, a refused pickle: all the file's fault
        first_line = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise CheckpointError(f"{path}: unreadable or truncated checkpoint ({first_line})") from None
    info = checkpoint.get(CHECKPOINT_KEY) if isinstance(checkpoint, dict) else None
    if not (isinstance(info, dict) and isinstance(info.get("config"), dict)
            and isinstance(info["config"].get("model"), dict) and isinstance(checkpoint.get("state_dict"), dict)):
        raise CheckpointError(f"{path}: not a fakevideo checkpoint (written by train.py)")
    return checkpoint


def _check_weights_fit(probe: torch.nn.Module, state_dict: dict, path: Path) -> None:
    """The stored weights must be exactly the tensors the stored config builds (names and shapes)."""
    expected = {name: tuple(tensor.shape) for name, tensor in probe.state_dict().items()}
    stored = {name: tuple(tensor.shape) for name, tensor in state_dict.items() if isinstance(tensor, torch.Tensor)}
    if len(stored) != len(state_dict):
        raise CheckpointError(f"{path}: the stored weights hold values that are not tensors")
    if expected != stored:
        differing = sorted(set(expected.items()) ^ set(stored.items()))
        raise CheckpointError(f"{path}: weights do not fit the stored model config (first difference: "
                              f"{differing[0][0]})")


def load_task(path: str | Path, expected: type[TrainingTask] = TrainingTask) -> TrainingTask:
    """Rebuild the task from the config stored in the checkpoint and load its weights (eval mode).

    `expected` is the kind of task the caller can use (e.g. VoiceConversionTask); another is a CheckpointError.
    """
    path = Path(path)
    checkpoint = load_checkpoint(path)
    info = checkpoint[CHECKPOINT_KEY]
    model_config = without_retired_keys(info["config"]["model"])
    with torch.device("meta"):
        probe = build_stored(model_config, "model", path)
    if not isinstance(probe, expected):
        name = info["config"].get("model_name", info.get("family"))
        raise CheckpointError(f"{path}: a {name} checkpoint, but a {expected.__name__} is needed here")
    _check_weights_fit(probe, checkpoint["state_dict"], path)
    task = build_stored(model_config, "model", path)
    task.load_state_dict(checkpoint["state_dict"])
    task.attach_data(info.get("data") or {}, info["config"])
    return task.eval()

"""`model.init_from=FILE`: start an FSGAN recipe from another model's generator weights.

FILE is a train.py checkpoint (its `generator.*` weights) or one of FSGAN's published v2 files (read as
fakevideo.training.published_weights reads them, classes in this project's order). The configured generator must
have the same architecture: the same tensor names and shapes (the published files need the `fsgan_v2_*` recipes,
whose generators are the published networks); anything else is a one-line CheckpointError naming the file.
"""

from __future__ import annotations

from pathlib import Path

import torch
from torch import nn

from fakevideo.errors import CheckpointError
from fakevideo.tasks.base import CHECKPOINT_KEY
from fakevideo.training.published_weights import build_published, is_published, read_weights_file

GENERATOR_PREFIX = "generator."


def generator_weights(path: str | Path) -> dict[str, torch.Tensor]:
    """The generator state dict a train.py checkpoint or a published v2 file holds."""
    checkpoint = read_weights_file(path)
    if is_published(checkpoint):
        return build_published(checkpoint, path).state_dict()
    state_dict = checkpoint.get("state_dict") if isinstance(checkpoint, dict) else None
    if CHECKPOINT_KEY not in (checkpoint or {}) or not isinstance(state_dict, dict):
        raise CheckpointError(f"model.init_from={path}: neither a train.py checkpoint nor a published FSGAN file")
    weights = {name.removeprefix(GENERATOR_PREFIX): value for name, value in state_dict.items()
               if name.startswith(GENERATOR_PREFIX)}
    if not weights:
        raise CheckpointError(f"model.init_from={path}: the checkpoint holds no generator weights")
    return weights


def init_generator(generator: nn.Module, path: str | Path) -> None:
    """Load the file's generator weights into `generator`, which must have exactly their names and shapes."""
    weights = generator_weights(path)
    expected = {name: tuple(value.shape) for name, value in generator.state_dict().items()}
    stored = {name: tuple(value.shape) for name, value in weights.items() if isinstance(value, torch.Tensor)}
    if expected != stored:
        first = sorted(set(expected.items()) ^ set(stored.items()))[0]
        raise CheckpointError(f"model.init_from={path}: its generator does not fit the configured one (first "
                              f"difference: {first[0]} {first[1]}); configure the same architecture (published "
                              f"files: model=fsgan_v2_<role>)")
    generator.load_state_dict(weights)

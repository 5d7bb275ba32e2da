"""MaskCycleGAN-VC's training: CycleGAN-VC2's task, with filling in frames on the first conversion of each cycle."""

from __future__ import annotations

import torch
from torch import nn

from fakevideo.errors import ConfigError
from fakevideo.models.maskcyclegan_vc import random_temporal_mask
from fakevideo.tasks.cyclegan import CycleGANTask


class MaskCycleGANTask(CycleGANTask):
    """`mask_max_frames`: the longest run of source frames hidden from the first conversion (0 = CycleGAN-VC2)."""

    def __init__(self, mask_max_frames: int = 25, **kwargs):
        super().__init__(**kwargs)
        if mask_max_frames < 0:
            raise ConfigError(f"model.mask_max_frames={mask_max_frames}: must be 0 or more")
        self.mask_max_frames = mask_max_frames

    def first_conversion(self, generator: nn.Module, source: torch.Tensor) -> torch.Tensor:
        batch, dims, frames = source.shape
        return generator(source, random_temporal_mask(batch, dims, frames, self.mask_max_frames, source.device))

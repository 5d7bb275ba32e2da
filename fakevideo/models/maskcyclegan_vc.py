"""MaskCycleGAN-VC (Kaneko et al. 2021): CycleGAN-VC2's 2-1-2D generator and critics, trained with filling in
frames: the first conversion of each cycle sees its source with a random run of frames masked out, and the mask
itself as a second input plane, so the generator learns to fill the gap from context. At conversion the mask is all
ones (nothing hidden)."""

from __future__ import annotations

import torch

from fakevideo.models.voice_critics import PatchGANDiscriminator
from fakevideo.nn.two_one_two import TwoOneTwoGenerator

__all__ = ["MaskCycleGANVCGenerator", "PatchGANDiscriminator", "random_temporal_mask"]


def random_temporal_mask(batch: int, dims: int, frames: int, max_frames: int, device: torch.device) -> torch.Tensor:
    """[B, D, T] ones with one run of 0..`max_frames` zeroed frames per sample, at a random start."""
    mask = torch.ones(batch, dims, frames, device=device)
    lengths = torch.randint(0, max_frames + 1, (batch,)).clamp(max=frames)
    for row, length in enumerate(lengths.tolist()):
        start = int(torch.randint(0, frames - length + 1, ()))
        mask[row, :, start:start + length] = 0.0
    return mask


class MaskCycleGANVCGenerator(TwoOneTwoGenerator):
    """forward(mcep [B, D, T], mask [B, D, T] or None = all ones) -> [B, D, T]; input planes (mcep * mask, mask)."""

    def __init__(self, mcep_dim: int, base_channels: int = 32, num_blocks: int = 6, residual: bool | int = False):
        super().__init__(mcep_dim, base_channels, num_blocks, code_dim=0, in_channels=2, residual=residual)

    def forward(self, mcep: torch.Tensor, mask: torch.Tensor | None = None) -> torch.Tensor:
        mask = torch.ones_like(mcep) if mask is None else mask
        return self.body(torch.stack([mcep * mask, mask], dim=1))

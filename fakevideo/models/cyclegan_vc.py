"""CycleGAN-VC (Kaneko & Kameoka, 2017): a 1D gated CNN generator over MCEP frames and a gated 2D critic, one
pair of each per conversion direction (one-to-one).

Channels at width w (paper sizes at w=32): generator conv k15 4w; gated downs k5 s2 to 8w, 16w; residual GLU
blocks 16w -> 32w -> 16w (k3); pixel-shuffle ups to 16w, 8w; conv k15 to D. Critic: gated 2D convs 4w (k3,
s(1,2)), 8w, 16w (k3 s2), 32w (k(6,3) s(1,2)), then the paper's fully connected output as a per-position linear
score averaged over positions, so any crop length works; no sigmoid.
"""

from __future__ import annotations

import torch
from torch import nn

from fakevideo.nn.layers import GatedConv, ResidualGLU1d, UpsampleGLU, add_residual, pad_to_multiple, residual_cepstra


class CycleGANVCGenerator(nn.Module):
    """mcep [B, D, T] -> converted mcep [B, D, T], any T (padded to a multiple of 4 inside, cropped back);
    `residual`: output = input + correction (`residual_cepstra`)."""

    frame_multiple = 4

    def __init__(self, mcep_dim: int, base_channels: int = 32, num_blocks: int = 6, residual: bool | int = False):
        super().__init__()
        w = base_channels
        self.encoder = nn.Sequential(
            GatedConv(1, mcep_dim, 4 * w, 15, padding=7, norm="none"),
            GatedConv(1, 4 * w, 8 * w, 5, stride=2, padding=2),
            GatedConv(1, 8 * w, 16 * w, 5, stride=2, padding=2),
        )
        self.blocks = nn.Sequential(*(ResidualGLU1d(16 * w, 32 * w, 3) for _ in range(num_blocks)))
        self.decoder = nn.Sequential(UpsampleGLU(1, 16 * w, 16 * w), UpsampleGLU(1, 16 * w, 8 * w),
                                     nn.Conv1d(8 * w, mcep_dim, 15, padding=7))
        self.residual = residual_cepstra(residual, self.decoder[-1])

    def forward(self, mcep: torch.Tensor) -> torch.Tensor:
        frames = mcep.shape[-1]
        out = self.decoder(self.blocks(self.encoder(pad_to_multiple(mcep, self.frame_multiple))))[..., :frames]
        return add_residual(out, mcep, self.residual)


class CycleGANVCDiscriminator(nn.Module):
    """mcep [B, D, T] -> one real/fake score per sample [B]. Needs D >= 21 (the k(6,3) layer after two
    frequency halvings); MCEP orders in use are 24-40."""

    def __init__(self, base_channels: int = 32):
        super().__init__()
        w = base_channels
        self.body = nn.Sequential(
            GatedConv(2, 1, 4 * w, 3, stride=(1, 2), padding=1, norm="none"),
            GatedConv(2, 4 * w, 8 * w, 3, stride=2, padding=1),
            GatedConv(2, 8 * w, 16 * w, 3, stride=2, padding=1),
            GatedConv(2, 16 * w, 32 * w, (6, 3), stride=(1, 2), padding=(0, 1)),
        )
        self.out = nn.Conv2d(32 * w, 1, 1)

    def forward(self, mcep: torch.Tensor) -> torch.Tensor:
        return self.out(self.body(mcep.unsqueeze(1))).mean(dim=(1, 2, 3))

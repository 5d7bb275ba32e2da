"""The 2-1-2D generator body shared by CycleGAN-VC2 and StarGAN-VC2 (Kaneko et al. 2019): 2D gated down-sampling,
a 1D residual stack on the flattened (channel x frequency) axis, 2D pixel-shuffle up-sampling.

Channels at width w (paper sizes at w=32): input gated conv 4w, k(5,15); two gated 2D downs k5 s2 to 8w; 1x1 conv
from 8w * ceil(D/4) to 8w (2304 -> 256 at D=36); residual 1D GLU blocks (8w -> 16w -> 8w, k3); 1x1 conv back;
two 2D pixel-shuffle ups to 8w and 4w; output conv k(5,15) to one channel. Channel counts are those after the GLU
(the paper's "c128 + gates").
"""

from __future__ import annotations

import math

import torch
from torch import nn

from fakevideo.nn.layers import GatedConv, ResidualGLU1d, UpsampleGLU, add_residual, pad_to_multiple, residual_cepstra


class To1d(nn.Module):
    """[B, C, F, T] -> [B, C*F, T] -> 1x1 conv -> instance norm: the 2D -> 1D bridge."""

    def __init__(self, channels: int, freq: int, out_channels: int):
        super().__init__()
        self.conv = nn.Conv1d(channels * freq, out_channels, 1)
        self.norm = nn.InstanceNorm1d(out_channels, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.norm(self.conv(x.flatten(1, 2)))


class To2d(nn.Module):
    """[B, C_in, T] -> 1x1 conv -> instance norm -> [B, C, F, T]: the 1D -> 2D bridge."""

    def __init__(self, in_channels: int, channels: int, freq: int):
        super().__init__()
        self.channels, self.freq = channels, freq
        self.conv = nn.Conv1d(in_channels, channels * freq, 1)
        self.norm = nn.InstanceNorm1d(channels * freq, affine=True)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.norm(self.conv(x))
        return h.view(h.shape[0], self.channels, self.freq, h.shape[-1])


class TwoOneTwoGenerator(nn.Module):
    """mcep [B, D, T] -> converted mcep [B, D, T] for any T (padded to a multiple of 4 inside, cropped back).
    `code_dim > 0` makes the residual blocks' norms conditional on a code [B, code_dim] (StarGAN-VC2);
    `in_channels > 1` lets a subclass feed planes besides the MCEPs (MaskCycleGAN-VC's mask) through `body`;
    `residual`: output = first input plane + correction (`residual_cepstra`)."""

    frame_multiple = 4

    def __init__(self, mcep_dim: int, base_channels: int = 32, num_blocks: int = 6, code_dim: int = 0,
                 in_channels: int = 1, residual: bool | int = False):
        super().__init__()
        w, self.mcep_dim, self.code_dim = base_channels, mcep_dim, code_dim
        freq = math.ceil(mcep_dim / self.frame_multiple)
        self.encoder = nn.Sequential(
            GatedConv(2, in_channels, 4 * w, (5, 15), padding=(2, 7), norm="none"),
            GatedConv(2, 4 * w, 8 * w, 5, stride=2, padding=2),
            GatedConv(2, 8 * w, 8 * w, 5, stride=2, padding=2),
        )
        self.to_1d = To1d(8 * w, freq, 8 * w)
        self.blocks = nn.ModuleList(ResidualGLU1d(8 * w, 16 * w, 3, code_dim) for _ in range(num_blocks))
        self.to_2d = To2d(8 * w, 8 * w, freq)
        self.decoder = nn.Sequential(UpsampleGLU(2, 8 * w, 8 * w), UpsampleGLU(2, 8 * w, 4 * w),
                                     nn.Conv2d(4 * w, 1, (5, 15), padding=(2, 7)))
        self.residual = residual_cepstra(residual, self.decoder[-1])

    def forward(self, mcep: torch.Tensor, code: torch.Tensor | None = None) -> torch.Tensor:
        return self.body(mcep.unsqueeze(1), code)

    def body(self, planes: torch.Tensor, code: torch.Tensor | None = None) -> torch.Tensor:
        """[B, in_channels, D, T] input planes -> converted mcep [B, D, T]."""
        dims, frames = planes.shape[-2:]
        assert dims == self.mcep_dim, f"generator built for mcep_dim={self.mcep_dim}, got {dims}"
        h = self.to_1d(self.encoder(pad_to_multiple(planes, self.frame_multiple, dims=2)))
        for block in self.blocks:
            h = block(h, code)
        out = self.decoder(self.to_2d(h))[:, 0, :dims, :frames]
        return add_residual(out, planes[:, 0], self.residual)

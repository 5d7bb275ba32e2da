"""Critics shared across families: the PatchGAN of CycleGAN-VC2 and the projection discriminator of StarGAN-VC2.
Both return raw scores (no sigmoid), so LSGAN, WGAN-GP, hinge and cross-entropy losses all apply.

Channels at width w (paper sizes at w=32): gated conv 4w k3; gated downs k3 s2 to 8w, 16w, 32w; gated k(1,5) 32w.
"""

from __future__ import annotations

import torch
from torch import nn

from fakevideo.nn.layers import GatedConv


def patch_trunk(base_channels: int) -> nn.Sequential:
    """The convolutional body of both critics: [B, 1, D, T] -> [B, 32w, ~D/8, ~T/8]."""
    w = base_channels
    return nn.Sequential(
        GatedConv(2, 1, 4 * w, 3, padding=1, norm="none"),
        GatedConv(2, 4 * w, 8 * w, 3, stride=2, padding=1),
        GatedConv(2, 8 * w, 16 * w, 3, stride=2, padding=1),
        GatedConv(2, 16 * w, 32 * w, 3, stride=2, padding=1),
        GatedConv(2, 32 * w, 32 * w, (1, 5), padding=(0, 2)),
    )


class PatchGANDiscriminator(nn.Module):
    """mcep [B, D, T] -> a real/fake score per patch [B, D', T'] (CycleGAN-VC2's critic)."""

    def __init__(self, base_channels: int = 32):
        super().__init__()
        self.trunk = patch_trunk(base_channels)
        self.out = nn.Conv2d(32 * base_channels, 1, (1, 3), padding=(0, 1))

    def forward(self, mcep: torch.Tensor) -> torch.Tensor:
        return self.out(self.trunk(mcep.unsqueeze(1)))[:, 0]


class ProjectionDiscriminator(nn.Module):
    """Conditional critic of Miyato & Koyama (2018): psi(phi(x)) + <E c, phi(x)>, phi = pooled trunk features,
    E a linear embedding of the condition vector c [B, code_dim]. Mean pooling keeps scores independent of length.
    Returns one score per sample [B]."""

    def __init__(self, code_dim: int, base_channels: int = 32):
        super().__init__()
        self.trunk = patch_trunk(base_channels)
        self.linear = nn.Linear(32 * base_channels, 1)
        self.embed = nn.Linear(code_dim, 32 * base_channels, bias=False)

    def forward(self, mcep: torch.Tensor, condition: torch.Tensor) -> torch.Tensor:
        phi = self.trunk(mcep.unsqueeze(1)).mean(dim=(2, 3))
        return self.linear(phi)[:, 0] + (self.embed(condition.to(phi.dtype)) * phi).sum(dim=1)

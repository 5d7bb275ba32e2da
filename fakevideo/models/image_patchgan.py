"""Multi-scale PatchGAN discriminator (pix2pixHD): one N-layer PatchGAN per level of a kornia image pyramid.

Each critic scores overlapping patches with raw values (no sigmoid: the adversarial loss decides)."""

from __future__ import annotations

import torch
from kornia.geometry.transform import build_pyramid
from torch import nn

from fakevideo.nn.layers import make_norm


class ImagePatchCritic(nn.Module):
    """4x4 convolutions: `num_layers` stride-2 ones (channels doubling up to 8x), one stride-1, then 1 channel."""

    def __init__(self, in_channels: int, base_channels: int = 64, num_layers: int = 3, norm: str = "instance"):
        super().__init__()
        widths = [min(base_channels * 2**i, 8 * base_channels) for i in range(num_layers + 1)]
        layers: list[nn.Module] = [nn.Conv2d(in_channels, widths[0], 4, stride=2, padding=2),
                                   nn.LeakyReLU(0.2, inplace=True)]
        for i in range(1, num_layers + 1):
            stride = 2 if i < num_layers else 1
            layers += [nn.Conv2d(widths[i - 1], widths[i], 4, stride=stride, padding=2),
                       make_norm(norm, 2, widths[i]), nn.LeakyReLU(0.2, inplace=True)]
        layers.append(nn.Conv2d(widths[-1], 1, 4, stride=1, padding=2))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class MultiScalePatchGAN(nn.Module):
    """`num_scales` independent PatchGANs on the image pyramid: index 0 sees full resolution, k sees 1/2^k."""

    def __init__(self, in_channels: int = 3, base_channels: int = 64, num_layers: int = 3, num_scales: int = 2,
                 norm: str = "instance"):
        super().__init__()
        self.critics = nn.ModuleList(ImagePatchCritic(in_channels, base_channels, num_layers, norm)
                                     for _ in range(num_scales))

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        pyramid = build_pyramid(x, len(self.critics))
        return [critic(level) for critic, level in zip(self.critics, pyramid, strict=True)]

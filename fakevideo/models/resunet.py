"""Multi-scale residual U-Net generator shared by the FSGAN recipes (pix2pixHD-style coarse-to-fine).

A global U-Net sees the half-resolution pyramid level (kornia `pyrdown`); a local enhancer at full resolution
adds its own down-sampled features to the global branch's output, refines them with residual blocks and
up-samples to the full-resolution output. Depth and width are configurable so tests run tiny models.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from kornia.geometry.transform import pyrdown
from torch import nn

from fakevideo.nn.layers import make_norm, pad_to_multiple


def conv_block(in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1,
               norm: str = "instance") -> nn.Sequential:
    """Reflection-padded convolution -> norm -> ReLU."""
    return nn.Sequential(nn.ReflectionPad2d(kernel_size // 2) if stride == 1 else nn.ZeroPad2d(kernel_size // 2),
                         nn.Conv2d(in_channels, out_channels, kernel_size, stride=stride),
                         make_norm(norm, 2, out_channels), nn.ReLU(inplace=True))


class ResidualBlock(nn.Module):
    """x + conv(norm(relu(conv(x)))): two 3x3 convolutions with an identity shortcut."""

    def __init__(self, channels: int, norm: str = "instance"):
        super().__init__()
        self.body = nn.Sequential(conv_block(channels, channels, norm=norm), nn.ReflectionPad2d(1),
                                  nn.Conv2d(channels, channels, 3), make_norm(norm, 2, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.body(x)


class UpBlock(nn.Module):
    """Bilinear x2 up-sampling, concatenation with the encoder's skip features, fusion conv, residual block."""

    def __init__(self, in_channels: int, skip_channels: int, out_channels: int, norm: str = "instance"):
        super().__init__()
        self.fuse = conv_block(in_channels + skip_channels, out_channels, norm=norm)
        self.refine = ResidualBlock(out_channels, norm)

    def forward(self, x: torch.Tensor, skip: torch.Tensor) -> torch.Tensor:
        x = F.interpolate(x, size=skip.shape[-2:], mode="bilinear", align_corners=False)
        return self.refine(self.fuse(torch.cat([x, skip], dim=1)))


class ResUNet(nn.Module):
    """U-Net with residual blocks: stem, `depth` stride-2 encoder levels (channels doubling up to
    `max_channels`), `bottleneck_blocks` residual blocks, and a decoder with skip connections.
    Returns `base_channels` feature maps at the input resolution."""

    def __init__(self, in_channels: int, base_channels: int, depth: int, bottleneck_blocks: int,
                 max_channels: int, norm: str = "instance"):
        super().__init__()
        widths = [min(base_channels * 2**i, max_channels) for i in range(depth + 1)]
        self.stem = conv_block(in_channels, widths[0], kernel_size=7, norm=norm)
        self.down = nn.ModuleList(
            nn.Sequential(conv_block(widths[i], widths[i + 1], stride=2, norm=norm), ResidualBlock(widths[i + 1], norm))
            for i in range(depth))
        self.bottleneck = nn.Sequential(*(ResidualBlock(widths[-1], norm) for _ in range(bottleneck_blocks)))
        self.up = nn.ModuleList(UpBlock(widths[i + 1], widths[i], widths[i], norm) for i in reversed(range(depth)))
        self.out_channels = widths[0]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = [self.stem(x)]
        for down in self.down:
            skips.append(down(skips[-1]))
        x = self.bottleneck(skips.pop())
        for up in self.up:
            x = up(x, skips.pop())
        return x


class MultiScaleResUNet(nn.Module):
    """FSGAN generator: global ResUNet on the half-resolution input plus a full-resolution local enhancer.

    `output`: 'tanh' for images in [-1, 1], 'none' for logits (segmentation). Inputs of any size are padded to
    the network's stride and the output cropped back.
    """

    def __init__(self, in_channels: int, out_channels: int = 3, base_channels: int = 32, depth: int = 4,
                 bottleneck_blocks: int = 3, local_blocks: int = 2, max_channels: int | None = None,
                 norm: str = "instance", output: str = "tanh"):
        super().__init__()
        if output not in ("tanh", "none"):
            raise ValueError(f"output={output!r}: choose 'tanh' or 'none'")
        self.in_channels, self.out_channels, self.depth = in_channels, out_channels, depth
        global_width = 2 * base_channels
        self.global_branch = ResUNet(in_channels, global_width, depth, bottleneck_blocks,
                                     max_channels or 8 * base_channels, norm)
        self.local_down = nn.Sequential(conv_block(in_channels, base_channels, kernel_size=7, norm=norm),
                                        conv_block(base_channels, global_width, stride=2, norm=norm))
        self.local_blocks = nn.Sequential(*(ResidualBlock(global_width, norm) for _ in range(local_blocks)))
        self.local_up = UpBlock(global_width, base_channels, base_channels, norm)
        self.head = nn.Sequential(nn.ReflectionPad2d(3), nn.Conv2d(base_channels, out_channels, 7),
                                  nn.Tanh() if output == "tanh" else nn.Identity())

    @property
    def stride(self) -> int:
        """Input sides must be multiples of this (the half-resolution branch down-samples `depth` times)."""
        return 2 ** (self.depth + 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        height, width = x.shape[-2:]
        x = pad_to_multiple(x, self.stride, dims=2)
        coarse = self.global_branch(pyrdown(x))
        stem = self.local_down[0](x)
        fine = self.local_blocks(self.local_down[1](stem) + coarse)
        return self.head(self.local_up(fine, stem))[..., :height, :width]

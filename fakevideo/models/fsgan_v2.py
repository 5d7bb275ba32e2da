"""The networks of FSGAN's published v2 weights (Nirkin et al., public repository), written for this project.

FSGAN's authors publish trained generators (`*_v2*.pth`) whose layout differs from this project's own
`resunet.MultiScaleResUNet`: batch norm without conv biases, additive (not concatenated) U-Net skips, and a local
enhancer that adds a full-resolution stem to the up-sampled global features without down-sampling. These classes
reproduce that layout so the published weights load and compute what they computed for their authors. Submodule
names follow the published files' state-dict keys (`base.inner.submodule.down_block.model.1.weight`, ...), so those
state dicts load without renaming.

`input_layout = "fsgan_v2"` tells the FSGAN tasks to feed these networks the published input conventions
(fakevideo.tasks.fsgan): 98 WFLW landmark disks per pyramid level for reenactment, and so on.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

INPUT_LAYOUT = "fsgan_v2"


def conv_bn(in_channels: int, out_channels: int, kernel_size: int = 3, stride: int = 1, norm: bool = True,
            activation: nn.Module | None = None) -> nn.Sequential:
    """Reflection pad -> bias-free convolution -> [batch norm] -> [activation] (indices 0..3, as published)."""
    layers = [nn.ReflectionPad2d(kernel_size // 2),
              nn.Conv2d(in_channels, out_channels, kernel_size, stride, bias=False)]
    if norm:
        layers.append(nn.BatchNorm2d(out_channels))
    if activation is not None:
        layers.append(activation)
    return nn.Sequential(*layers)


def image_head(channels: int, out_channels: int) -> nn.Sequential:
    """7x7 bias-free convolution to an image in [-1, 1]."""
    return nn.Sequential(*conv_bn(channels, out_channels, 7, norm=False), nn.Tanh())


class ResidualBlock(nn.Module):
    """relu(x + bn(conv(relu(bn(conv(x)))))): the residual block of the published generators."""

    def __init__(self, channels: int):
        super().__init__()
        self.model = nn.Sequential(*conv_bn(channels, channels, activation=nn.ReLU()), *conv_bn(channels, channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(x + self.model(x))


class ResidualStack(nn.Module):
    """`blocks` residual blocks at one resolution (none: the identity, with no weights)."""

    def __init__(self, channels: int, blocks: int):
        super().__init__()
        self.model = nn.Sequential(*(ResidualBlock(channels) for _ in range(blocks))) if blocks > 0 else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.model is None else self.model(x)


class DownBlock(nn.Module):
    """Stride-2 conv-bn-relu, then a conv-bn-relu at the new resolution."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.model = nn.Sequential(*conv_bn(in_channels, out_channels, stride=2, activation=nn.ReLU()),
                                   *conv_bn(out_channels, out_channels, activation=nn.ReLU()))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(x)


class UpBlock(nn.Module):
    """Bilinear x2 up-sampling, then conv-bn-relu."""

    def __init__(self, in_channels: int, out_channels: int):
        super().__init__()
        self.model = conv_bn(in_channels, out_channels, activation=nn.ReLU())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.model(F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False))


class UNetLevel(nn.Module):
    """One level of the nested residual U-Net: x + up(inner(down(x))) (no inner level: x), then residual blocks."""

    def __init__(self, channels: int, inner_channels: int, blocks: int, submodule: UNetLevel | None):
        super().__init__()
        self.submodule = submodule
        if submodule is not None:
            self.down_block = DownBlock(channels, inner_channels)
            self.up_block = UpBlock(inner_channels, channels)
        self.flat_block = ResidualStack(channels, blocks)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.submodule is not None:
            x = x + self.up_block(self.submodule(self.down_block(x)))
        return self.flat_block(x)


class NestedResUNet(nn.Module):
    """The global branch: 7x7 stem, len(blocks) nested levels (channels doubling, capped at `max_channels`;
    `blocks[i]` residual blocks at level i, outermost first; the innermost level has no down-sampling) and an
    image head (used when this branch runs alone)."""

    def __init__(self, in_channels: int, out_channels: int, width: int, blocks: tuple[int, ...], max_channels: int):
        super().__init__()
        self.in_conv = conv_bn(in_channels, width, 7, activation=nn.ReLU())
        self.out_conv = image_head(width, out_channels)
        level = None
        for depth in reversed(range(len(blocks))):
            channels, inner = (min(width * 2**d, max_channels) for d in (depth, depth + 1))
            level = UNetLevel(channels, inner, blocks[depth], level)
        self.inner = level

    def features(self, x: torch.Tensor) -> torch.Tensor:
        return self.inner(self.in_conv(x))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out_conv(self.features(x))


class LocalEnhancer(nn.Module):
    """Full-resolution stem + up-sampled global features, residual blocks, image head."""

    def __init__(self, in_channels: int, out_channels: int, width: int, global_width: int, blocks: int):
        super().__init__()
        self.in_conv = conv_bn(in_channels, width, 7, activation=nn.ReLU())
        self.up_block = UpBlock(global_width, width)
        self.flat_block = ResidualStack(width, blocks)
        self.out_conv = image_head(width, out_channels)

    def forward(self, x: torch.Tensor, coarse_features: torch.Tensor) -> torch.Tensor:
        return self.out_conv(self.flat_block(self.in_conv(x) + self.up_block(coarse_features)))


def half_resolution(x: torch.Tensor) -> torch.Tensor:
    """The published pipeline's pyramid step: 3x3 average pooling with stride 2 (padding not counted)."""
    return F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)


def pyr_down(images: torch.Tensor) -> torch.Tensor:
    """OpenCV's `pyrDown` (the published reenactment's image pyramid): 5x5 binomial blur with mirrored borders
    (excluding the edge pixel), then every other pixel."""
    taps = torch.tensor([1.0, 4.0, 6.0, 4.0, 1.0], dtype=images.dtype, device=images.device) / 16
    kernel = (taps[:, None] * taps[None, :]).expand(images.shape[1], 1, 5, 5)
    blurred = F.conv2d(F.pad(images, (2, 2, 2, 2), mode="reflect"), kernel, groups=images.shape[1])
    return blurred[..., ::2, ::2]


class EnhancedResUNet(nn.Module):
    """FSGAN v2's generator (published as `res_unet.MultiScaleResUNet`): a NestedResUNet of width 2 x `width` on
    the half-resolution input and a LocalEnhancer of width `width` at full resolution. `blocks[0]` residual
    blocks in the enhancer, `blocks[1:]` in the global levels.

    Input: a pyramid [full, half] (the published reenactment renders each level itself), or one tensor whose
    half level is made by `half_resolution`, as the published swap does for completion and blending.
    A one-level pyramid runs the global branch alone at that resolution. Sides must be multiples of `stride`.
    """

    input_layout = INPUT_LAYOUT

    def __init__(self, in_channels: int, out_channels: int = 3, width: int = 64,
                 blocks: tuple[int, ...] = (0, 0, 0, 3), max_channels: int = 1024):
        super().__init__()
        if len(blocks) < 2:
            raise ValueError(f"blocks={blocks}: one entry for the enhancer and at least one global level")
        self.in_channels, self.out_channels = in_channels, out_channels
        self.levels = len(blocks) - 1
        self.base = NestedResUNet(in_channels, out_channels, 2 * width, tuple(blocks[1:]), max_channels)
        self.enhancer1 = LocalEnhancer(in_channels, out_channels, min(width, max_channels),
                                       min(2 * width, max_channels), blocks[0])

    @property
    def stride(self) -> int:
        return 2 ** self.levels

    def forward(self, x: torch.Tensor | list[torch.Tensor]) -> torch.Tensor:
        pyramid = [x, half_resolution(x)] if isinstance(x, torch.Tensor) else list(x)
        if len(pyramid) == 1:
            return self.base(pyramid[0])
        full, half = pyramid
        return self.enhancer1(full, self.base.features(half))


class DoubleConv(nn.Module):
    """Two 3x3 conv [-bn]-relu layers (the segmentation U-Net's block)."""

    def __init__(self, in_channels: int, out_channels: int, norm: bool):
        super().__init__()

        def layer(channels_in: int) -> nn.Sequential:
            conv = nn.Conv2d(channels_in, out_channels, 3, padding=1)
            return nn.Sequential(conv, *([nn.BatchNorm2d(out_channels)] if norm else []), nn.ReLU())

        self.conv1, self.conv2 = layer(in_channels), layer(out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.conv2(self.conv1(x))


class SegmentationUp(nn.Module):
    """x2 up-sampling (bilinear with aligned corners, or a transposed conv), a 1x1 conv to the skip's width,
    concatenation after the skip, DoubleConv without norm."""

    def __init__(self, in_channels: int, out_channels: int, transposed: bool):
        super().__init__()
        self.conv = DoubleConv(in_channels, out_channels, norm=False)
        self.up = (nn.ConvTranspose2d(in_channels, out_channels, 2, stride=2) if transposed
                   else nn.UpsamplingBilinear2d(scale_factor=2))
        self.conv1d = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, skip: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        return self.conv(torch.cat([skip, self.conv1d(self.up(x))], dim=1))


class SegmentationUNet(nn.Module):
    """FSGAN v2's face segmentation network (published as `simple_unet_02.UNet`): a 4-level U-Net with max-pool
    down-sampling, widths 64..1024 divided by `feature_scale`; `num_classes` logits. Sides: multiples of 16."""

    input_layout = INPUT_LAYOUT
    stride = 16

    def __init__(self, feature_scale: int = 1, num_classes: int = 21, is_deconv: bool = False, in_channels: int = 3,
                 is_batchnorm: bool = True):
        super().__init__()
        self.in_channels, self.out_channels = in_channels, num_classes
        widths = [int(w / feature_scale) for w in (64, 128, 256, 512, 1024)]
        for i, (c_in, c_out) in enumerate(zip([in_channels, *widths[:3]], widths[:4], strict=True), start=1):
            self.add_module(f"conv{i}", DoubleConv(c_in, c_out, is_batchnorm))
        self.center = DoubleConv(widths[3], widths[4], is_batchnorm)
        for i in range(4, 0, -1):
            self.add_module(f"up_concat{i}", SegmentationUp(widths[i], widths[i - 1], is_deconv))
        self.final = nn.Conv2d(widths[0], num_classes, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        skips = []
        for i in range(1, 5):
            x = getattr(self, f"conv{i}")(x)
            skips.append(x)
            x = F.max_pool2d(x, 2)
        x = self.center(x)
        for i in range(4, 0, -1):
            x = getattr(self, f"up_concat{i}")(skips.pop(), x)
        return self.final(x)

"""Building blocks shared by the VC generators and discriminators: one implementation each, no copies."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

_CONV = {(1, False): nn.Conv1d, (2, False): nn.Conv2d, (1, True): nn.ConvTranspose1d, (2, True): nn.ConvTranspose2d}


def make_norm(kind: str, dims: int, channels: int) -> nn.Module:
    """Normalisation by name: 'instance' (affine), 'batch' or 'none'."""
    if kind == "instance":
        return (nn.InstanceNorm1d if dims == 1 else nn.InstanceNorm2d)(channels, affine=True)
    if kind == "batch":
        return (nn.BatchNorm1d if dims == 1 else nn.BatchNorm2d)(channels)
    if kind == "none":
        return nn.Identity()
    raise ValueError(f"unknown norm {kind!r}: choose instance, batch or none")


class GatedConv(nn.Module):
    """Convolution -> norm -> gated linear unit, the block of the gated CNNs used by CycleGAN-VC and StarGAN-VC.

    The convolution makes twice the output channels; GLU returns a * sigmoid(b) of the two halves (a real gate,
    not the x * sigmoid(x) "Swish" that some public implementations call GLU).
    """

    def __init__(self, dims: int, in_channels: int, out_channels: int, kernel_size, stride=1, padding=0,
                 norm: str = "instance", transposed: bool = False):
        super().__init__()
        conv = _CONV[(dims, transposed)]
        self.conv = conv(in_channels, 2 * out_channels, kernel_size, stride=stride, padding=padding)
        self.norm = make_norm(norm, dims, 2 * out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.glu(self.norm(self.conv(x)), dim=1)


def append_code(x: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
    """Concatenate a per-sample code [B, C] to a feature map [B, F, ...] as C constant channels."""
    maps = code.view(*code.shape, *([1] * (x.dim() - 2))).expand(*code.shape, *x.shape[2:])
    return torch.cat([x, maps.to(x.dtype)], dim=1)


def pad_to_multiple(x: torch.Tensor, multiple: int, dims: int = 1) -> torch.Tensor:
    """Zero-pad the last `dims` axes up to a multiple (down-sampling generators need divisible sizes)."""
    pads: list[int] = []
    for size in reversed(x.shape[-dims:]):
        pads += [0, (-size) % multiple]
    return F.pad(x, pads) if any(pads) else x

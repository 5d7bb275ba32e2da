"""Building blocks shared by the VC generators and discriminators: one implementation each, no copies."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from fakevideo.errors import ConfigError

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


def residual_cepstra(residual: bool | int, correction_layer: nn.Module) -> bool | int:
    """Check a generator's `residual` option (not in the papers) and start its correction layer at zero when set.
    False: the network's output is the conversion; True: output = input + correction; k > 0: the same on cepstra
    c0..c(k-1) only, the network's output as it is above. Untrained, a residual generator is then the mean/variance
    mapping (True) or that mapping below c_k and the target speaker's mean above (k: the baseline_smooth reference).
    Without it the low cepstra (spectral tilt, c1-c4), which the linear mapping gets right, are where the papers'
    generators lose most against the baselines on a CPU budget (bench/RESULTS.md)."""
    if not (isinstance(residual, bool) or (isinstance(residual, int) and residual > 0)):
        raise ConfigError(f"model.generator.residual={residual!r}: false, true, or the number of low cepstra (> 0) "
                          "that the generator corrects instead of replacing")
    if residual:
        nn.init.zeros_(correction_layer.weight)
        nn.init.zeros_(correction_layer.bias)
    return residual


def add_residual(out: torch.Tensor, x: torch.Tensor, residual: bool | int) -> torch.Tensor:
    """A generator's output [B, D, T] with its input added as `residual` says (see `residual_cepstra`)."""
    if residual is True:
        return x + out
    if not residual:
        return out
    return torch.cat([x[:, :residual] + out[:, :residual], out[:, residual:]], dim=1)


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


class ConditionalInstanceNorm(nn.Module):
    """Instance norm whose per-channel gamma/beta are linear functions of a code vector (StarGAN-VC2 feeds the
    source+target pair code). `code_dim=0` is the unconditioned case: gamma/beta are plain learned parameters,
    i.e. ordinary affine instance norm, so one block serves conditioned and unconditioned generators."""

    def __init__(self, dims: int, channels: int, code_dim: int = 0):
        super().__init__()
        self.norm = (nn.InstanceNorm1d if dims == 1 else nn.InstanceNorm2d)(channels, affine=code_dim == 0)
        self.code_dim = code_dim
        if code_dim:
            self.gamma, self.beta = nn.Linear(code_dim, channels), nn.Linear(code_dim, channels)
            nn.init.ones_(self.gamma.bias)
            nn.init.zeros_(self.beta.bias)

    def forward(self, x: torch.Tensor, code: torch.Tensor | None = None) -> torch.Tensor:
        h = self.norm(x)
        if not self.code_dim:
            return h
        assert code is not None and code.shape[-1] == self.code_dim, "conditional norm needs its code"
        shape = (*code.shape[:1], -1, *([1] * (x.dim() - 2)))
        return self.gamma(code).view(shape) * h + self.beta(code).view(shape)


class ResidualGLU1d(nn.Module):
    """x + norm(conv(GLU(norm(conv(x))))): the 1D residual block of CycleGAN-VC and the 2-1-2D generators.
    With `code_dim > 0` both norms are conditional (StarGAN-VC2)."""

    def __init__(self, channels: int, hidden: int, kernel_size: int = 3, code_dim: int = 0):
        super().__init__()
        self.conv_in = nn.Conv1d(channels, 2 * hidden, kernel_size, padding=kernel_size // 2)
        self.norm_in = ConditionalInstanceNorm(1, 2 * hidden, code_dim)
        self.conv_out = nn.Conv1d(hidden, channels, kernel_size, padding=kernel_size // 2)
        self.norm_out = ConditionalInstanceNorm(1, channels, code_dim)

    def forward(self, x: torch.Tensor, code: torch.Tensor | None = None) -> torch.Tensor:
        h = F.glu(self.norm_in(self.conv_in(x), code), dim=1)
        return x + self.norm_out(self.conv_out(h), code)


def pixel_shuffle_1d(x: torch.Tensor, factor: int) -> torch.Tensor:
    """[B, C*r, T] -> [B, C, T*r]: channel c*r+i becomes time step t*r+i (the 1D analogue of nn.PixelShuffle)."""
    batch, channels, frames = x.shape
    assert channels % factor == 0, "channels must be divisible by the shuffle factor"
    return x.view(batch, channels // factor, factor, frames).transpose(2, 3).reshape(batch, -1, frames * factor)


class PixelShuffle1d(nn.Module):
    def __init__(self, factor: int):
        super().__init__()
        self.factor = factor

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return pixel_shuffle_1d(x, self.factor)


class UpsampleGLU(nn.Module):
    """Conv -> pixel shuffle (x2 per spatial axis) -> instance norm -> GLU, the up-sampling block of the
    CycleGAN-VC family. The shuffle groups consecutive channels, so the GLU's data and gate halves stay apart."""

    def __init__(self, dims: int, in_channels: int, out_channels: int, kernel_size: int = 5, factor: int = 2):
        super().__init__()
        conv = nn.Conv1d if dims == 1 else nn.Conv2d
        self.conv = conv(in_channels, 2 * out_channels * factor**dims, kernel_size, padding=kernel_size // 2)
        self.shuffle = PixelShuffle1d(factor) if dims == 1 else nn.PixelShuffle(factor)
        self.norm = make_norm("instance", dims, 2 * out_channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.glu(self.norm(self.shuffle(self.conv(x))), dim=1)

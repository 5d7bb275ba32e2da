"""VGG-19's convolutional stack up to relu5_1, as a frozen feature extractor for perceptual losses.

The layer stack is torchvision's `vgg19().features` (configuration E), written here because torchvision is not
a dependency; parameter names (`features.<index>.weight`) match torchvision's, so its ImageNet state dict
(`vgg19-dcbb9e9d.pth`) or a VGGFace2 VGG-19 saved in that layout loads directly. Weights are non-persistent
buffers: frozen, moved with the module, and never written into training checkpoints.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from fakevideo.errors import ConfigError

# Configuration E up to conv5_1: output channels of each 3x3 conv, "M" for 2x2 max-pooling.
VGG19_LAYERS = (64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512)
RELU_X_1 = ("relu1_1", "relu2_1", "relu3_1", "relu4_1", "relu5_1")
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
TORCHVISION_FILE = "vgg19-dcbb9e9d.pth"


def conv_indices() -> list[tuple[int, int, int]]:
    """(torchvision `features` index, in channels, out channels) of each conv up to conv5_1."""
    convs, index, channels = [], 0, 3
    for item in VGG19_LAYERS:
        if item == "M":
            index += 1
        else:
            convs.append((index, channels, item))
            channels, index = item, index + 2  # conv then ReLU
    return convs


class VGG19Features(nn.Module):
    """Images in [0, 1] (B, 3, H, W) -> the relu1_1 .. relu5_1 activations, ImageNet-normalised input."""

    def __init__(self, state_dict: dict[str, torch.Tensor] | None = None):
        super().__init__()
        self.convs = conv_indices()
        for index, cin, cout in self.convs:
            weight, bias = torch.empty(cout, cin, 3, 3), torch.zeros(cout)
            nn.init.kaiming_normal_(weight, nonlinearity="relu")
            self.register_buffer(f"w{index}", weight, persistent=False)
            self.register_buffer(f"b{index}", bias, persistent=False)
        self.register_buffer("mean", torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        if state_dict is not None:
            self.load_torchvision(state_dict)

    def load_torchvision(self, state_dict: dict[str, torch.Tensor], source: str = "state dict") -> None:
        """Copy `features.<i>.weight/bias` tensors in; a missing or misshapen one is a ConfigError."""
        for index, _, _ in self.convs:
            for kind, buffer in (("weight", f"w{index}"), ("bias", f"b{index}")):
                key = f"features.{index}.{kind}"
                target = getattr(self, buffer)
                value = state_dict.get(key)
                if not isinstance(value, torch.Tensor) or value.shape != target.shape:
                    raise ConfigError(f"{source}: no VGG-19 tensor {key} of shape {tuple(target.shape)}; expected "
                                      f"torchvision's vgg19 state dict ({TORCHVISION_FILE}) layout")
                target.copy_(value)

    @classmethod
    def from_file(cls, path: str | Path) -> VGG19Features:
        """Load a torchvision-layout VGG-19 state dict (tensors only: `weights_only=True`)."""
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"{path}: no such VGG-19 weights file")
        try:
            state = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:  # noqa: BLE001 - any unreadable file is the user's to fix
            raise ConfigError(f"{path}: unreadable VGG-19 weights ({str(err).splitlines()[0]})") from None
        if not isinstance(state, dict):
            raise ConfigError(f"{path}: not a state dict")
        features = cls()
        features.load_torchvision(state, str(path))
        return features

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        x = (x - self.mean) / self.std
        outputs, index, block_start = [], 0, True
        for item in VGG19_LAYERS:
            if item == "M":
                x, index, block_start = F.max_pool2d(x, 2), index + 1, True
                continue
            x = F.relu(F.conv2d(x, getattr(self, f"w{index}"), getattr(self, f"b{index}"), padding=1))
            if block_start:  # the first ReLU of each block: relu1_1 .. relu5_1
                outputs.append(x)
            index, block_start = index + 2, False
        return outputs

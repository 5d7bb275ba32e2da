"""VGG-19 perceptual loss (pix2pixHD / FSGAN): weighted L1 between relu1_1 .. relu5_1 activations.

The network's weights come from a configured file (torchvision's ImageNet `vgg19-dcbb9e9d.pth`, or a VGGFace2
VGG-19 in that layout); nothing is downloaded. Random weights are allowed only when asked for explicitly
(`allow_random: true`, for demos and tests), since a random VGG is not the paper's loss.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from fakevideo.errors import ConfigError
from fakevideo.models.vgg import RELU_X_1, TORCHVISION_FILE, VGG19Features

log = logging.getLogger(__name__)
LAYER_WEIGHTS = (1 / 32, 1 / 16, 1 / 8, 1 / 4, 1.0)


class PerceptualLoss(nn.Module):
    """sum_i w_i * |VGG_i(x) - VGG_i(y)|_1 for images in [-1, 1]; the VGG is frozen (buffers, not parameters)."""

    def __init__(self, weights: str | Path | None = None, allow_random: bool = False,
                 layer_weights: Sequence[float] = LAYER_WEIGHTS, key: str = "model.perceptual.weights"):
        super().__init__()
        if len(layer_weights) != len(RELU_X_1):
            raise ConfigError(f"layer_weights: {len(layer_weights)} values for the {len(RELU_X_1)} layers "
                              f"{', '.join(RELU_X_1)}")
        if weights is not None:
            self.vgg = VGG19Features.from_file(weights)
        elif allow_random:
            log.warning("perceptual loss uses a randomly initialised VGG-19 (%s is null): fine for demos and "
                        "tests, not the paper's loss", key)
            self.vgg = VGG19Features()
        else:
            raise ConfigError(f"{key} is null: give the path of an ImageNet VGG-19 state dict (torchvision's "
                              f"{TORCHVISION_FILE}) or set model.perceptual.allow_random=true for random features")
        self.layer_weights = tuple(float(w) for w in layer_weights)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        features = self.vgg(torch.cat([x, y]).add(1).div(2))
        return sum(w * F.l1_loss(*f.chunk(2)) for w, f in zip(self.layer_weights, features, strict=True))

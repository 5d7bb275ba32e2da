"""CycleGAN-VC2 (Kaneko et al., 2019): the 2-1-2D generator and a PatchGAN critic, one pair of each per direction;
the task adds the second ("two-step") critics that judge cycle-reconstructed features."""

from __future__ import annotations

from fakevideo.models.voice_critics import PatchGANDiscriminator
from fakevideo.nn.two_one_two import TwoOneTwoGenerator

__all__ = ["CycleGANVC2Generator", "PatchGANDiscriminator"]


class CycleGANVC2Generator(TwoOneTwoGenerator):
    """The unconditioned 2-1-2D generator: forward(mcep [B, D, T]) -> [B, D, T]."""

    def __init__(self, mcep_dim: int, base_channels: int = 32, num_blocks: int = 6, residual: bool | int = False):
        super().__init__(mcep_dim, base_channels, num_blocks, code_dim=0, residual=residual)

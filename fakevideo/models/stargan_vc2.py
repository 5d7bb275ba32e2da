"""StarGAN-VC2 (Kaneko et al., 2019): the 2-1-2D generator with conditional instance norm driven by the
(source, target) speaker pair, and a projection critic conditioned on the same pair. Any number of speakers.

Both take the pair code the StarGAN task builds with `conditioning: pair`: [one-hot source | one-hot target],
[B, 2S]. The critic embeds the pair itself (outer product of the two one-hots: one embedding per ordered pair).
"""

from __future__ import annotations

import torch
from torch import nn

from fakevideo.models.voice_critics import ProjectionDiscriminator
from fakevideo.nn.two_one_two import TwoOneTwoGenerator


def pair_code(code: torch.Tensor, num_speakers: int) -> torch.Tensor:
    """[B, 2S] (source | target) -> [B, S*S] indicator of the ordered pair (source * S + target)."""
    assert code.shape[-1] == 2 * num_speakers, f"expected a pair code of size {2 * num_speakers}"
    source, target = code[:, :num_speakers], code[:, num_speakers:]
    return (source.unsqueeze(2) * target.unsqueeze(1)).flatten(1)


class StarGANVC2Generator(TwoOneTwoGenerator):
    """forward(mcep [B, D, T], pair code [B, 2S]) -> converted mcep [B, D, T]."""

    def __init__(self, num_speakers: int, mcep_dim: int, base_channels: int = 32, num_blocks: int = 6,
                 residual: bool | int = False):
        super().__init__(mcep_dim, base_channels, num_blocks, code_dim=2 * num_speakers, residual=residual)
        self.num_speakers = num_speakers


class StarGANVC2Discriminator(nn.Module):
    """forward(mcep [B, D, T], pair code [B, 2S]) -> one score per sample [B]."""

    def __init__(self, num_speakers: int, base_channels: int = 32):
        super().__init__()
        self.num_speakers = num_speakers
        self.critic = ProjectionDiscriminator(num_speakers**2, base_channels)

    def forward(self, mcep: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        return self.critic(mcep, pair_code(code, self.num_speakers))

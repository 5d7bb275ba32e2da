"""StarGAN-VC (Kameoka et al., 2018): a 2D gated-CNN generator conditioned on the target speaker code,
a conditional real/fake discriminator and a domain classifier. Any number of speakers."""

from __future__ import annotations

import torch
from torch import nn

from fakevideo.errors import ConfigError
from fakevideo.nn.layers import GatedConv, add_residual, append_code, pad_to_multiple, residual_cepstra

#: one-hot speaker codes per conditioning (StarGANTask.code): the target's alone, or the source's and the target's
CODE_WIDTH = {"target": 1, "pair": 2}


class StarGANVCGenerator(nn.Module):
    """Encoder (down by 4 in frequency and time) -> decoder that sees the speaker code at every layer;
    `residual`: output = input + correction (`residual_cepstra`). `conditioning` says which code the task feeds
    (`StarGANTask.code`): `target` (the paper's one-hot target speaker) or `pair` (source and target one-hots, 2 x
    num_speakers, as StarGAN-VC2; size=cpu's recipe, to go with StarGAN-VC2's critic)."""

    frame_multiple = 4

    def __init__(self, num_speakers: int, base_channels: int = 32, norm: str = "instance",
                 residual: bool | int = False, conditioning: str = "target"):
        super().__init__()
        if conditioning not in CODE_WIDTH:
            raise ConfigError(f"model.generator.conditioning={conditioning!r}: choose 'target' or 'pair'")
        c, s = base_channels, CODE_WIDTH[conditioning] * num_speakers
        self.num_speakers = num_speakers
        self.encoder = nn.Sequential(
            GatedConv(2, 1, c, (3, 9), padding=(1, 4), norm=norm),
            GatedConv(2, c, 2 * c, (4, 8), stride=2, padding=(1, 3), norm=norm),
            GatedConv(2, 2 * c, 4 * c, (4, 8), stride=2, padding=(1, 3), norm=norm),
        )
        self.decoder = nn.ModuleList([
            GatedConv(2, 4 * c + s, 2 * c, 4, stride=2, padding=1, norm=norm, transposed=True),
            GatedConv(2, 2 * c + s, c, 4, stride=2, padding=1, norm=norm, transposed=True),
        ])
        self.out = nn.Conv2d(c + s, 1, (3, 9), padding=(1, 4))
        self.residual = residual_cepstra(residual, self.out)

    def forward(self, mcep: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        """mcep [B, D, T] (normalised), code [B, S] (target) or [B, 2S] (pair) -> converted mcep [B, D, T]."""
        dims, frames = mcep.shape[-2:]
        h = self.encoder(pad_to_multiple(mcep.unsqueeze(1), self.frame_multiple, dims=2))
        for layer in self.decoder:
            h = layer(append_code(h, code))
        out = self.out(append_code(h, code))[:, 0, :dims, :frames]
        return add_residual(out, mcep, self.residual)


class StarGANVCDiscriminator(nn.Module):
    """Real/fake critic conditioned on the speaker code (concatenated at every layer); no output sigmoid, so it
    serves LSGAN, WGAN-GP and hinge losses alike. Returns one score per sample."""

    def __init__(self, num_speakers: int, base_channels: int = 32):
        super().__init__()
        c, s = base_channels, num_speakers
        self.layers = nn.ModuleList([
            GatedConv(2, 1 + s, c, (3, 9), padding=(1, 4), norm="none"),
            GatedConv(2, c + s, c, (3, 8), stride=(1, 2), padding=(1, 3), norm="none"),
            GatedConv(2, c + s, c, (3, 8), stride=(1, 2), padding=(1, 3), norm="none"),
            GatedConv(2, c + s, c, (3, 6), stride=(1, 2), padding=(1, 2), norm="none"),
        ])
        self.out = nn.Conv2d(c + s, 1, (3, 5), padding=(1, 2))

    def forward(self, mcep: torch.Tensor, code: torch.Tensor) -> torch.Tensor:
        h = mcep.unsqueeze(1)
        for layer in self.layers:
            h = layer(append_code(h, code))
        return self.out(append_code(h, code)).mean(dim=(1, 2, 3))


class DomainClassifier(nn.Module):
    """Which speaker produced these features? Trained on real data; its loss on fakes drives the generator."""

    def __init__(self, num_speakers: int, base_channels: int = 16):
        super().__init__()
        c = base_channels
        self.body = nn.Sequential(
            GatedConv(2, 1, c, (4, 4), stride=(2, 2), padding=1, norm="batch"),
            GatedConv(2, c, c, (4, 4), stride=(2, 2), padding=1, norm="batch"),
            GatedConv(2, c, c, (4, 4), stride=(2, 2), padding=1, norm="batch"),
            nn.Conv2d(c, num_speakers, (3, 3), padding=1),
        )

    def forward(self, mcep: torch.Tensor) -> torch.Tensor:
        return self.body(mcep.unsqueeze(1)).mean(dim=(2, 3))

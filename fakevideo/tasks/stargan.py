"""The StarGAN-VC recipes: one generator for every speaker pair, a conditional critic, and optionally a
domain classifier. `conditioning` says what the generator and critic are told: `target` (StarGAN-VC: the target
speaker) or `pair` (StarGAN-VC2: the source and target speakers together)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from fakevideo.errors import ConfigError
from fakevideo.losses.adversarial import discriminator_loss, generator_loss
from fakevideo.models.stargan_vc import CODE_WIDTH
from fakevideo.tasks.vc import VC_LOSS_KEYS, VoiceConversionTask, loss_weights


class StarGANTask(VoiceConversionTask):
    def __init__(self, generator: nn.Module, discriminator: nn.Module, num_speakers: int,
                 classifier: nn.Module | None = None, conditioning: str = "target", loss: dict | None = None,
                 **kwargs):
        super().__init__(**kwargs)
        if conditioning not in CODE_WIDTH:
            raise ConfigError(f"model.conditioning={conditioning!r}: choose 'target' or 'pair'")
        self.generator, self.discriminator, self.classifier = generator, discriminator, classifier
        self.num_speakers, self.conditioning = num_speakers, conditioning
        self.loss = loss_weights(loss, (*VC_LOSS_KEYS, *(["classification"] if classifier is not None else [])))

    def code(self, source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Conditioning vector for converting `source` -> `target` speakers (indices [B])."""
        onehot = F.one_hot(target, self.num_speakers).float()
        if self.conditioning == "pair":
            onehot = torch.cat([F.one_hot(source, self.num_speakers).float(), onehot], dim=1)
        return onehot

    def random_other(self, speakers: torch.Tensor) -> torch.Tensor:
        """A uniformly drawn speaker different from each given one."""
        shift = torch.randint(1, self.num_speakers, speakers.shape, device=speakers.device)
        return (speakers + shift) % self.num_speakers

    def generator_parameters(self):
        return self.generator.parameters()

    def discriminator_parameters(self):
        nets = [self.discriminator] + ([self.classifier] if self.classifier is not None else [])
        return [p for net in nets for p in net.parameters()]

    def discriminator_losses(self, batch) -> dict[str, torch.Tensor]:
        x, source = batch["mcep"], batch["speaker"]
        target = self.random_other(source)
        with torch.no_grad():
            fake = self.generator(x, self.code(source, target))
        real_code, fake_code = self.code(self.random_other(source), source), self.code(source, target)
        kind = self.loss["adversarial"]
        terms = {"adv": discriminator_loss(kind, self.discriminator(x, real_code),
                                           self.discriminator(fake, fake_code))}
        if kind == "wgan_gp":
            critic = lambda mixed: self.discriminator(mixed, fake_code)  # noqa: E731
            terms["gp"] = self.loss["gradient_penalty"] * self.penalty(critic, x, fake)
        if self.classifier is not None:
            terms["cls"] = self.loss["classification"] * F.cross_entropy(self.classifier(x), source)
        return terms

    def generator_losses(self, batch) -> dict[str, torch.Tensor]:
        x, source = batch["mcep"], batch["speaker"]
        target = self.random_other(source)
        code = self.code(source, target)
        fake = self.generator(x, code)
        terms = {"adv": generator_loss(self.loss["adversarial"], self.discriminator(fake, code)),
                 "cycle": self.loss["cycle"] * F.l1_loss(self.generator(fake, self.code(target, source)), x)}
        if self.loss["identity"] > 0 and self.iteration < self.loss["identity_until"]:
            terms["identity"] = self.loss["identity"] * F.l1_loss(self.generator(x, self.code(source, source)), x)
        if self.classifier is not None:
            terms["cls"] = self.loss["classification"] * F.cross_entropy(self.classifier(fake), target)
        return terms

    def convert_normalized(self, mcep: torch.Tensor, source: int, target: int) -> torch.Tensor:
        src = torch.full((mcep.shape[0],), source, device=mcep.device, dtype=torch.long)
        trg = torch.full_like(src, target)
        return self.generator(mcep, self.code(src, trg))

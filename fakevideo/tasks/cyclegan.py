"""The CycleGAN-VC recipes: one-to-one conversion between a corpus's two speakers A and B with a generator
and a critic per direction, cycle-consistency and identity losses, and (CycleGAN-VC2) a second pair of critics
that judge the cycle-reconstructed features ("two-step" adversarial loss). Trains on paired batches of the two
speakers (`data_needs`: the data config takes data.pairing=true from it)."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F
from torch import nn

from fakevideo.errors import ConfigError
from fakevideo.losses.adversarial import discriminator_loss, generator_loss
from fakevideo.tasks.vc import VC_LOSS_KEYS, VoiceConversionTask, loss_weights

NetworkFactory = Callable[[], nn.Module]


class CycleGANTask(VoiceConversionTask):
    """`generator` and `discriminator` are factories (Hydra `_partial_: true`): the task builds one network per
    direction (and per two-step critic). Speaker A is the corpus's first speaker, B the second."""

    #: one-to-one: {mcep_a, mcep_b} batches of exactly the corpus's two speakers
    data_needs = {"pairing": True}

    def __init__(self, generator: NetworkFactory, discriminator: NetworkFactory, two_step: bool = False,
                 loss: dict | None = None, **kwargs):
        super().__init__(**kwargs)
        for key, factory in (("generator", generator), ("discriminator", discriminator)):
            if isinstance(factory, nn.Module):
                raise ConfigError(f"model.{key}: set `_partial_: true`; the CycleGAN task builds one per direction")
        self.generator_ab, self.generator_ba = generator(), generator()
        self.discriminator_a, self.discriminator_b = discriminator(), discriminator()
        self.two_step = two_step
        if two_step:
            self.discriminator_a2, self.discriminator_b2 = discriminator(), discriminator()
        self.loss = loss_weights(loss, VC_LOSS_KEYS)

    def attach_data(self, data_info: dict, run_config: dict) -> None:
        speakers = data_info.get("speakers", [])
        if len(speakers) != 2:
            raise ConfigError(f"data: CycleGAN is one-to-one and needs exactly 2 speakers, got {speakers} "
                              "(set data.num_speakers=2 or data.speakers=[a,b])")
        super().attach_data(data_info, run_config)

    def check_direction(self, source: str, target: str) -> None:
        if source == target:
            a, b = self.speakers
            raise ConfigError(f"src_spk={source!r}, trg_spk={target!r}: this one-to-one {self.model_name} checkpoint "
                              f"converts {a} -> {b} or {b} -> {a}")

    def generator_parameters(self):
        return [*self.generator_ab.parameters(), *self.generator_ba.parameters()]

    def discriminator_parameters(self):
        return [p for name, p in self.named_parameters() if name.startswith("discriminator_")]

    @staticmethod
    def _pair(batch: dict) -> tuple[torch.Tensor, torch.Tensor]:
        if "mcep_a" not in batch:
            raise ConfigError("data.pairing: a CycleGAN model trains on paired crops; set data.pairing=true")
        return batch["mcep_a"], batch["mcep_b"]

    def first_conversion(self, generator: nn.Module, source: torch.Tensor) -> torch.Tensor:
        """The conversion that starts each cycle (A -> B of A->B->A, B -> A of B->A->B); recipes that train with
        a changed first pass (MaskCycleGAN-VC's filling in frames) override this alone."""
        return generator(source)

    def discriminator_losses(self, batch) -> dict[str, torch.Tensor]:
        xa, xb = self._pair(batch)
        with torch.no_grad():
            fake_b, fake_a = self.first_conversion(self.generator_ab, xa), self.first_conversion(self.generator_ba, xb)
            judged = [("a", self.discriminator_a, xa, fake_a), ("b", self.discriminator_b, xb, fake_b)]
            if self.two_step:
                judged += [("a2", self.discriminator_a2, xa, self.generator_ba(fake_b)),
                           ("b2", self.discriminator_b2, xb, self.generator_ab(fake_a))]
        kind, terms = self.loss["adversarial"], {}
        for name, critic, real, fake in judged:
            terms[f"adv_{name}"] = discriminator_loss(kind, critic(real), critic(fake))
            if kind == "wgan_gp":
                terms[f"gp_{name}"] = self.loss["gradient_penalty"] * self.penalty(critic, real, fake)
        return terms

    def generator_losses(self, batch) -> dict[str, torch.Tensor]:
        xa, xb = self._pair(batch)
        fake_b, fake_a = self.first_conversion(self.generator_ab, xa), self.first_conversion(self.generator_ba, xb)
        cycle_a, cycle_b = self.generator_ba(fake_b), self.generator_ab(fake_a)
        kind = self.loss["adversarial"]
        terms = {"adv_ab": generator_loss(kind, self.discriminator_b(fake_b)),
                 "adv_ba": generator_loss(kind, self.discriminator_a(fake_a)),
                 "cycle": self.loss["cycle"] * (F.l1_loss(cycle_a, xa) + F.l1_loss(cycle_b, xb))}
        if self.two_step:
            terms["adv2_aba"] = generator_loss(kind, self.discriminator_a2(cycle_a))
            terms["adv2_bab"] = generator_loss(kind, self.discriminator_b2(cycle_b))
        if self.loss["identity"] > 0 and self.iteration < self.loss["identity_until"]:
            terms["identity"] = self.loss["identity"] * (F.l1_loss(self.generator_ab(xb), xb)
                                                         + F.l1_loss(self.generator_ba(xa), xa))
        return terms

    def convert_normalized(self, mcep: torch.Tensor, source: int, target: int) -> torch.Tensor:
        if {source, target} != {0, 1}:
            raise ConfigError(f"speakers {source} -> {target}: a one-to-one CycleGAN converts A -> B or B -> A only")
        return (self.generator_ab if source == 0 else self.generator_ba)(mcep)

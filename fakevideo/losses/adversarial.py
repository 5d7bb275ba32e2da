"""Adversarial objectives chosen by config (LSGAN, WGAN-GP, hinge, non-saturating cross-entropy) and the
gradient penalty, written once for every recipe. Critics output raw scores: no sigmoid anywhere."""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from fakevideo.errors import ConfigError

ADVERSARIAL_LOSSES = ("lsgan", "wgan_gp", "hinge", "bce")


def check_adversarial(name: str) -> str:
    if name not in ADVERSARIAL_LOSSES:
        raise ConfigError(f"model.loss.adversarial={name!r}: choose one of {', '.join(ADVERSARIAL_LOSSES)}")
    return name


def discriminator_loss(kind: str, real: torch.Tensor, fake: torch.Tensor) -> torch.Tensor:
    """Critic loss on scores of real and (detached) fake samples."""
    if kind == "lsgan":
        return F.mse_loss(real, torch.ones_like(real)) + F.mse_loss(fake, torch.zeros_like(fake))
    if kind == "wgan_gp":
        return fake.mean() - real.mean()
    if kind == "hinge":
        return F.relu(1 - real).mean() + F.relu(1 + fake).mean()
    return (F.binary_cross_entropy_with_logits(real, torch.ones_like(real))
            + F.binary_cross_entropy_with_logits(fake, torch.zeros_like(fake)))


def generator_loss(kind: str, fake: torch.Tensor) -> torch.Tensor:
    """Generator loss on the critic's scores of its samples."""
    if kind == "lsgan":
        return F.mse_loss(fake, torch.ones_like(fake))
    if kind in ("wgan_gp", "hinge"):
        return -fake.mean()
    return F.binary_cross_entropy_with_logits(fake, torch.ones_like(fake))


def gradient_penalty(critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor, fake: torch.Tensor,
                     scaler: torch.amp.GradScaler | None = None) -> torch.Tensor:
    """WGAN-GP penalty (||grad_x D(x_hat)|| - 1)^2 on random interpolates of real and fake.

    Under 16-mixed precision Lightning scales only the losses it backpropagates, not this inner
    autograd.grad, so the output is scaled here and the gradient unscaled, as torch's AMP recipe says.
    """
    alpha = torch.rand(real.shape[0], *([1] * (real.dim() - 1)), device=real.device, dtype=real.dtype)
    mixed = (alpha * real.detach() + (1 - alpha) * fake.detach()).requires_grad_(True)
    scores = critic(mixed).sum()
    if scaler is not None and scaler.is_enabled():
        (grad,) = torch.autograd.grad(scaler.scale(scores), mixed, create_graph=True)
        grad = grad / scaler.get_scale()
    else:
        (grad,) = torch.autograd.grad(scores, mixed, create_graph=True)
    return ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean()

"""Shared layers and adversarial losses against closed forms (a Swish "GLU" or a sigmoid critic would fail)."""

import pytest
import torch
from torch import nn

from fakevideo.losses.adversarial import discriminator_loss, generator_loss, gradient_penalty
from fakevideo.nn.layers import GatedConv, append_code, pad_to_multiple
from fakevideo.tasks.base import linear_decay


def test_gated_conv_is_a_real_gate_not_swish():
    torch.manual_seed(0)
    layer = GatedConv(1, 3, 4, 1, norm="none")
    x = torch.randn(2, 3, 5)
    pre = layer.conv(x)
    a, b = pre[:, :4], pre[:, 4:]
    torch.testing.assert_close(layer(x), a * torch.sigmoid(b))
    assert not torch.allclose(layer(x), a * torch.sigmoid(a))


def test_append_code_and_padding():
    x = torch.zeros(2, 3, 4, 5)
    code = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    out = append_code(x, code)
    assert out.shape == (2, 5, 4, 5) and out[1, 4].eq(1).all() and out[0, 4].eq(0).all()
    assert pad_to_multiple(torch.zeros(1, 1, 35, 101), 4, dims=2).shape == (1, 1, 36, 104)


def test_adversarial_losses_closed_forms():
    real, fake = torch.tensor([0.5, 1.5]), torch.tensor([-1.0, 0.5])
    assert discriminator_loss("lsgan", real, fake) == pytest.approx(0.25 + (1.0 + 0.25) / 2)
    assert discriminator_loss("wgan_gp", real, fake) == pytest.approx(-0.25 - 1.0)
    assert discriminator_loss("hinge", real, fake) == pytest.approx(0.25 + 0.75)
    assert generator_loss("lsgan", fake) == pytest.approx((4.0 + 0.25) / 2)
    assert generator_loss("hinge", fake) == pytest.approx(0.25)


def test_gradient_penalty_of_a_linear_critic_and_under_a_loss_scaler():
    w = torch.tensor([3.0, 4.0])
    critic = lambda x: x @ w  # noqa: E731  (gradient norm 5 everywhere)
    real, fake = torch.randn(8, 2), torch.randn(8, 2)
    assert gradient_penalty(critic, real, fake) == pytest.approx(16.0)
    scaler = torch.amp.GradScaler("cpu", init_scale=2.0**12)
    assert gradient_penalty(critic, real, fake, scaler) == pytest.approx(16.0)


def test_linear_decay_really_decays():
    factor = linear_decay(iterations=100, decay_start=0.5)
    assert factor(0) == 1.0 and factor(49) == 1.0
    assert factor(75) == pytest.approx(0.5) and factor(100) == 0.0
    optimizer = torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1)
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    for _ in range(100):
        optimizer.step()
        scheduler.step()
    assert optimizer.param_groups[0]["lr"] == 0.0

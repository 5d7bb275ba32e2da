"""The VC model zoo's networks and shared layers: shapes for any speaker count and length, paper-width parameter
counts, closed forms for pixel shuffle / gated up-sampling / conditional instance norm, pair conditioning."""

import pytest
import torch
import torch.nn.functional as F
from torch import nn

from fakevideo.errors import ConfigError
from fakevideo.models.cyclegan_vc import CycleGANVCDiscriminator, CycleGANVCGenerator
from fakevideo.models.cyclegan_vc2 import CycleGANVC2Generator, PatchGANDiscriminator
from fakevideo.models.maskcyclegan_vc import MaskCycleGANVCGenerator, random_temporal_mask
from fakevideo.models.stargan_vc import StarGANVCGenerator
from fakevideo.models.stargan_vc2 import StarGANVC2Discriminator, StarGANVC2Generator, pair_code
from fakevideo.nn.layers import ConditionalInstanceNorm, ResidualGLU1d, UpsampleGLU, pixel_shuffle_1d

LENGTHS = [(36, 128), (34, 101), (36, 37)]


@pytest.fixture(scope="module", autouse=True)
def _single_thread(one_thread):
    """Every test here runs tiny networks."""


def pair(source: list[int], target: list[int], speakers: int) -> torch.Tensor:
    """The StarGAN task's `conditioning: pair` code: [one-hot source | one-hot target]."""
    return torch.cat([F.one_hot(torch.tensor(source), speakers), F.one_hot(torch.tensor(target), speakers)], 1).float()


def count(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


@pytest.mark.parametrize("dims,frames", LENGTHS)
def test_one_to_one_networks_keep_shapes_at_any_length(dims, frames):
    torch.manual_seed(0)
    x = torch.randn(2, dims, frames)
    assert CycleGANVCGenerator(dims, base_channels=4)(x).shape == x.shape
    assert CycleGANVC2Generator(dims, base_channels=4)(x).shape == x.shape
    assert CycleGANVCDiscriminator(base_channels=4)(x).shape == (2,)
    patches = PatchGANDiscriminator(base_channels=4)(x)
    assert patches.shape == (2, -(-dims // 8), -(-frames // 8))


@pytest.mark.parametrize("speakers", [2, 4, 7])
@pytest.mark.parametrize("dims,frames", LENGTHS)
def test_stargan_vc2_networks_for_any_speaker_count_and_length(speakers, dims, frames):
    torch.manual_seed(0)
    x = torch.randn(3, dims, frames)
    code = pair([0, speakers - 1, 1], [1, 0, speakers - 1], speakers)
    assert StarGANVC2Generator(speakers, dims, base_channels=4)(x, code).shape == x.shape
    assert StarGANVC2Discriminator(speakers, base_channels=4)(x, code).shape == (3,)


RESIDUAL_GENERATORS = {
    "cyclegan_vc": lambda residual: CycleGANVCGenerator(36, base_channels=4, residual=residual),
    "cyclegan_vc2": lambda residual: CycleGANVC2Generator(36, base_channels=4, residual=residual),
    "maskcyclegan_vc": lambda residual: MaskCycleGANVCGenerator(36, base_channels=4, residual=residual),
    "stargan_vc": lambda residual: StarGANVCGenerator(3, base_channels=4, residual=residual),
    "stargan_vc2": lambda residual: StarGANVC2Generator(3, 36, base_channels=4, residual=residual),
}


@pytest.mark.parametrize("residual", [True, 5])
@pytest.mark.parametrize("family", RESIDUAL_GENERATORS)
def test_residual_generators_start_at_a_baseline_and_learn_a_correction(family, residual):
    """`residual=true`: untrained, every family is the identity in normalised features (the mean/variance mapping);
    `residual=5`: the identity on c0..c4 and zero (the target speaker's mean) above, the baseline_smooth form. One
    optimiser step moves it."""
    torch.manual_seed(0)
    generator = RESIDUAL_GENERATORS[family](residual)
    code = {"stargan_vc": F.one_hot(torch.tensor([0, 2]), 3).float(), "stargan_vc2": pair([0, 1], [2, 0], 3)}
    x = torch.randn(2, 36, 64)
    convert = (lambda: generator(x, code[family])) if family in code else (lambda: generator(x))
    expected = x if residual is True else torch.cat([x[:, :5], torch.zeros_like(x[:, 5:])], dim=1)
    assert torch.equal(convert(), expected)
    optimizer = torch.optim.SGD(generator.parameters(), lr=0.1)
    F.mse_loss(convert(), torch.zeros_like(x)).backward()
    optimizer.step()
    assert (convert() - expected).abs().mean() > 1e-4


@pytest.mark.parametrize("residual", [0, -3, 2.5, "yes"])
def test_a_bad_residual_option_is_a_config_error(residual):
    with pytest.raises(ConfigError, match="model.generator.residual="):
        CycleGANVC2Generator(36, base_channels=4, residual=residual)


# Paper width (32) at 36 MCEPs, 4 speakers: counts measured when the models were written; a layer change that
# alters them must update this table consciously.
PAPER_COUNTS = {
    "cyclegan_vc_g": (lambda: CycleGANVCGenerator(36), 38_147_876),
    "cyclegan_vc_d": (lambda: CycleGANVCDiscriminator(), 21_837_825),
    "cyclegan_vc2_g": (lambda: CycleGANVC2Generator(36), 32_900_993),
    "maskcyclegan_vc_g": (lambda: MaskCycleGANVCGenerator(36), 32_920_193),  # + the mask plane's first-layer weights
    "patchgan_d": (lambda: PatchGANDiscriminator(), 22_894_593),
    "stargan_vc2_g": (lambda: StarGANVC2Generator(4, 36), 33_023_873),
    "stargan_vc2_d": (lambda: StarGANVC2Discriminator(4), 22_908_929),
}


@pytest.mark.parametrize("name", sorted(PAPER_COUNTS))
def test_parameter_counts_at_paper_width(name):
    build, expected = PAPER_COUNTS[name]
    assert count(build()) == pytest.approx(expected, rel=0.01)


def test_2_1_2d_bridge_matches_the_paper_table():
    generator = CycleGANVC2Generator(36)
    assert generator.to_1d.conv.in_channels == 2304 and generator.to_1d.conv.out_channels == 256
    assert len(generator.blocks) == 6 and generator.blocks[0].conv_in.out_channels == 2 * 512
    # StarGAN-VC2 is the same body plus conditional norms: every unconditioned tensor reappears with its shape.
    conditioned = StarGANVC2Generator(4, 36).state_dict()
    shared = {k: v.shape for k, v in generator.state_dict().items() if not k.startswith("blocks.")}
    assert shared and all(conditioned[k].shape == shape for k, shape in shared.items())
    assert any(".gamma." in k for k in conditioned)


def test_pixel_shuffle_1d_closed_form():
    x = torch.arange(2 * 6 * 5, dtype=torch.float32).view(2, 6, 5)
    out = pixel_shuffle_1d(x, 3)
    assert out.shape == (2, 2, 15)
    for c in range(2):
        for t in range(5):
            for i in range(3):
                assert out[:, c, t * 3 + i].equal(x[:, c * 3 + i, t])


@pytest.mark.parametrize("dims", [1, 2])
def test_upsampling_is_a_real_gate_after_the_shuffle(dims):
    torch.manual_seed(0)
    layer = UpsampleGLU(dims, 3, 4, kernel_size=3)
    x = torch.randn(2, 3, *([5] * dims))
    h = layer.norm(layer.shuffle(layer.conv(x)))
    assert h.shape == (2, 8, *([10] * dims))
    out = layer(x)
    torch.testing.assert_close(out, h[:, :4] * torch.sigmoid(h[:, 4:]))
    assert not torch.allclose(out, h[:, :4] * torch.sigmoid(h[:, :4]))


def test_conditional_instance_norm_closed_form():
    torch.manual_seed(0)
    norm = ConditionalInstanceNorm(1, 3, code_dim=4)
    x, code = torch.randn(2, 3, 7), torch.randn(2, 4)
    mean, var = x.mean(-1, keepdim=True), x.var(-1, unbiased=False, keepdim=True)
    expected = norm.gamma(code)[..., None] * (x - mean) / torch.sqrt(var + 1e-5) + norm.beta(code)[..., None]
    torch.testing.assert_close(norm(x, code), expected)
    plain = ConditionalInstanceNorm(1, 3)
    torch.testing.assert_close(plain(x), (x - mean) / torch.sqrt(var + 1e-5))


def test_residual_block_adds_its_input():
    block = ResidualGLU1d(4, 8)
    nn.init.zeros_(block.norm_out.norm.weight)
    nn.init.zeros_(block.norm_out.norm.bias)
    x = torch.randn(2, 4, 9)
    torch.testing.assert_close(block(x), x)


def test_cin_conditions_the_generator_on_source_and_target():
    torch.manual_seed(0)
    generator = StarGANVC2Generator(3, 36, base_channels=4).eval()
    x = torch.randn(1, 36, 40)
    out = {(s, t): generator(x, pair([s], [t], 3)) for s, t in [(0, 1), (2, 1), (0, 2)]}
    assert (out[0, 1] - out[2, 1]).abs().mean() > 1e-3, "the source speaker must matter (pair conditioning)"
    assert (out[0, 1] - out[0, 2]).abs().mean() > 1e-3, "the target speaker must matter"


def test_projection_critic_embeds_each_ordered_pair():
    code = pair([0, 2, 1], [1, 1, 0], 3)
    assert pair_code(code, 3).argmax(1).tolist() == [0 * 3 + 1, 2 * 3 + 1, 1 * 3 + 0]
    assert pair_code(code, 3).sum(1).tolist() == [1.0, 1.0, 1.0]
    torch.manual_seed(0)
    critic = StarGANVC2Discriminator(3, base_channels=4)
    x = torch.randn(1, 36, 32).expand(3, -1, -1)
    scores = critic(x, code)
    assert len({round(s, 6) for s in scores.tolist()}) == 3


@pytest.mark.parametrize("critic_class", [CycleGANVCDiscriminator, PatchGANDiscriminator])
def test_critics_have_no_output_sigmoid(critic_class):
    torch.manual_seed(0)  # built inside the test: weights must not depend on which tests ran before
    critic = critic_class(4)
    out = critic.out
    with torch.no_grad():
        out.weight.mul_(100.0)
    scores = critic(torch.randn(2, 36, 32))
    assert scores.abs().max() > 1.0 and (scores < 0).any()


def test_maskcyclegan_generator_fills_in_masked_frames_and_ignores_an_all_ones_mask():
    torch.manual_seed(0)
    generator = MaskCycleGANVCGenerator(36, base_channels=4, num_blocks=2).eval()
    mcep = torch.randn(3, 36, 64)
    with torch.no_grad():
        unmasked = generator(mcep)
        torch.testing.assert_close(generator(mcep, torch.ones_like(mcep)), unmasked)
        mask = random_temporal_mask(3, 36, 64, max_frames=20, device=mcep.device)
        hidden = mcep.clone()
        hidden[mask == 0] = 100.0  # what is masked out cannot reach the output
        torch.testing.assert_close(generator(hidden, mask), generator(mcep, mask))
    zeroed = (mask == 0).all(dim=1)  # [B, T]: a frame is masked in every dimension or in none
    assert ((mask == 0).any(dim=1) == zeroed).all() and (zeroed.sum(dim=1) <= 20).all()
    runs = [torch.nonzero(row).flatten() for row in zeroed]
    assert all(len(r) == 0 or (r[-1] - r[0] + 1 == len(r)) for r in runs)  # one contiguous run

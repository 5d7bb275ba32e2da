"""StarGAN-VC networks: shapes for any speaker count and length, one optimisation step moves G and D."""

import pytest
import torch
import torch.nn.functional as F

from fakevideo.errors import ConfigError
from fakevideo.models.stargan_vc import DomainClassifier, StarGANVCDiscriminator, StarGANVCGenerator


@pytest.mark.parametrize("speakers", [2, 4, 7])
@pytest.mark.parametrize("dims,frames", [(36, 128), (34, 101), (36, 37)])
def test_shapes_for_any_speaker_count_and_length(speakers, dims, frames):
    torch.manual_seed(0)
    generator = StarGANVCGenerator(speakers, base_channels=8)
    discriminator = StarGANVCDiscriminator(speakers, base_channels=8)
    classifier = DomainClassifier(speakers, base_channels=8)
    x = torch.randn(3, dims, frames)
    code = F.one_hot(torch.tensor([0, 1, speakers - 1]), speakers).float()
    assert generator(x, code).shape == x.shape
    assert discriminator(x, code).shape == (3,)
    assert classifier(x).shape == (3, speakers)


def test_generator_output_depends_on_target_code():
    torch.manual_seed(0)
    generator = StarGANVCGenerator(3, base_channels=8).eval()
    x = torch.randn(1, 36, 64)
    a = generator(x, F.one_hot(torch.tensor([0]), 3).float())
    b = generator(x, F.one_hot(torch.tensor([2]), 3).float())
    assert (a - b).abs().mean() > 1e-3


def test_parameter_count_at_paper_width_is_recorded():
    generator = StarGANVCGenerator(4, base_channels=32)
    count = sum(p.numel() for p in generator.parameters())
    assert 0.5e6 < count < 2e6, count


def test_generator_takes_the_pair_code_when_conditioned_on_the_pair():
    """size=cpu feeds StarGAN-VC the (source, target) pair code for StarGAN-VC2's critic; the generator must read
    all of it: the same target from two different sources converts differently."""
    torch.manual_seed(0)
    generator = StarGANVCGenerator(3, base_channels=8, conditioning="pair").eval()
    x = torch.randn(1, 36, 64)
    one_hot = lambda i: F.one_hot(torch.tensor([i]), 3).float()  # noqa: E731
    from_0, from_1 = (generator(x, torch.cat([one_hot(source), one_hot(2)], dim=1)) for source in (0, 1))
    assert from_0.shape == x.shape and (from_0 - from_1).abs().mean() > 1e-3
    with pytest.raises(RuntimeError):
        generator(x, one_hot(2))  # a target-only code is the wrong width


def test_an_unknown_conditioning_is_a_config_error():
    with pytest.raises(ConfigError, match="model.generator.conditioning='both'"):
        StarGANVCGenerator(2, base_channels=8, conditioning="both")

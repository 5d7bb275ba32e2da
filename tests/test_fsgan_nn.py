"""FSGAN networks and losses: generator and critic shapes, VGG-19 weights from a file, blending loss, landmark
flips, the blending recipe's affine fit and the completion holes."""

import hydra
import pytest
import torch
import torch.nn.functional as F

from fakevideo.config import compose
from fakevideo.data.face_augment import FLIP_PERMUTATION, FaceAugmentation
from fakevideo.errors import ConfigError
from fakevideo.losses.blending import gradient_domain_loss
from fakevideo.losses.perceptual import PerceptualLoss
from fakevideo.models.image_patchgan import MultiScalePatchGAN
from fakevideo.models.resunet import MultiScaleResUNet
from fakevideo.models.vgg import conv_indices
from fakevideo.tasks.fsgan import CompletionTask, fit_affine

RECIPES = {"fsgan_reenactment": (71, 3), "fsgan_segmentation": (3, 3), "fsgan_completion": (4, 3),
           "fsgan_blending": (7, 3)}


@pytest.mark.parametrize("model", sorted(RECIPES))
def test_every_recipe_generator_runs_at_tiny_size(tmp_path, model):
    cfg = compose("train", [f"model={model}", "data=faces", "width=4"], tmp_path)
    generator = hydra.utils.instantiate(cfg.model.generator)
    in_channels, out_channels = RECIPES[model]
    x = torch.rand(2, in_channels, 64, 64) * 2 - 1
    y = generator(x)
    assert y.shape == (2, out_channels, 64, 64) and torch.isfinite(y).all()
    if model != "fsgan_segmentation":
        assert y.abs().max() <= 1  # tanh images
    y.mean().backward()
    assert all(p.grad is not None for p in generator.parameters())


def test_unet_global_branch_sees_the_half_resolution_pyramid_level():
    generator = MultiScaleResUNet(5, 3, base_channels=4, depth=3)
    seen = {}
    generator.global_branch.register_forward_hook(lambda m, args, out: seen.update(input=args[0], output=out))
    generator.global_branch.down[-1].register_forward_hook(lambda m, args, out: seen.update(bottom=out))
    x = torch.rand(1, 5, 64, 96)
    assert generator(x).shape == (1, 3, 64, 96)
    assert seen["input"].shape == (1, 5, 32, 48)
    assert seen["bottom"].shape == (1, 32, 4, 6)  # 3 levels below 32 x 48; channels 2*4 doubled thrice, capped at 32
    assert seen["output"].shape == (1, 8, 32, 48)  # added to the local enhancer's half-resolution features
    # the half-resolution input is kornia's Gaussian pyramid level, not a plain subsample
    assert not torch.allclose(seen["input"], x[..., ::2, ::2])
    # sizes that are not a multiple of the stride are padded and cropped back
    assert generator(torch.rand(1, 5, 50, 70)).shape == (1, 3, 50, 70)


def test_patchgan_scores_each_pyramid_level():
    critic = MultiScalePatchGAN(3, base_channels=4, num_layers=3, num_scales=2)
    scores = critic(torch.rand(2, 3, 64, 64))
    assert len(scores) == 2

    def side(n):  # three stride-2 then two stride-1 4x4 convolutions with padding 2
        for stride in (2, 2, 2, 1, 1):
            n = n // stride + 1
        return n

    assert [s.shape for s in scores] == [(2, 1, side(64), side(64)), (2, 1, side(32), side(32))]
    assert critic.critics[0].net[0].out_channels == 4 and critic.critics[0].net[-1].in_channels == 32


def torchvision_layout_weights(seed=0):
    g = torch.Generator().manual_seed(seed)
    state = {}
    for index, cin, cout in conv_indices():
        state[f"features.{index}.weight"] = torch.randn(cout, cin, 3, 3, generator=g) * (2 / (9 * cin)) ** 0.5
        state[f"features.{index}.bias"] = torch.randn(cout, generator=g) * 0.01
    state["classifier.0.weight"] = torch.zeros(2, 2)  # the rest of a torchvision file is ignored
    return state


def test_perceptual_loss_without_weights_is_a_config_error():
    with pytest.raises(ConfigError, match=r"model.perceptual.weights is null.*vgg19-dcbb9e9d.pth"):
        PerceptualLoss(weights=None)
    with pytest.raises(ConfigError, match="no such VGG-19 weights file"):
        PerceptualLoss(weights="/nonexistent/vgg19.pth")


def test_perceptual_loss_loads_vgg19_weights_from_a_file(tmp_path):
    state = torchvision_layout_weights()
    torch.save(state, tmp_path / "vgg19.pth")
    loss = PerceptualLoss(weights=tmp_path / "vgg19.pth")
    assert [index for index, _, _ in conv_indices()] == [0, 2, 5, 7, 10, 12, 14, 16, 19, 21, 23, 25, 28]
    assert torch.equal(loss.vgg.w28, state["features.28.weight"])
    assert list(loss.parameters()) == [] and loss.state_dict() == {}  # frozen, never in checkpoints
    x = torch.rand(1, 3, 32, 32)
    normalized = (x - loss.vgg.mean) / loss.vgg.std
    relu1_1 = F.relu(F.conv2d(normalized, state["features.0.weight"], state["features.0.bias"], padding=1))
    features = loss.vgg(x)
    torch.testing.assert_close(features[0], relu1_1)
    assert [f.shape[1:] for f in features] == [(64, 32, 32), (128, 16, 16), (256, 8, 8), (512, 4, 4), (512, 2, 2)]
    a, b = torch.rand(2, 3, 32, 32) * 2 - 1, torch.rand(2, 3, 32, 32) * 2 - 1
    fa, fb = loss.vgg((a + 1) / 2), loss.vgg((b + 1) / 2)
    expected = sum(w * (p - q).abs().mean() for w, p, q in zip([1 / 32, 1 / 16, 1 / 8, 1 / 4, 1], fa, fb, strict=True))
    torch.testing.assert_close(loss(a, b), expected)
    assert loss(a, a) == 0

    del state["features.10.weight"]
    torch.save(state, tmp_path / "broken.pth")
    with pytest.raises(ConfigError, match=r"broken.pth: no VGG-19 tensor features.10.weight"):
        PerceptualLoss(weights=tmp_path / "broken.pth")


def test_gradient_domain_loss_is_zero_for_a_perfect_blend_only():
    g = torch.Generator().manual_seed(0)
    source = torch.rand(2, 3, 32, 32, generator=g)
    target = source + 0.3  # same gradients, other colour: the perfect blend is the target itself
    mask = torch.zeros(2, 1, 32, 32)
    mask[..., 8:24, 10:26] = 1
    assert gradient_domain_loss(target, source, target, mask) < 1e-6
    pasted = mask * source + (1 - mask) * target  # a visible seam
    assert gradient_domain_loss(pasted, source, target, mask) > 1e-3
    other = torch.rand(2, 3, 32, 32, generator=g)
    assert gradient_domain_loss(other, source, other, mask) > 1e-2  # wrong texture inside the mask


def test_flip_swaps_left_and_right_landmarks():
    assert (FLIP_PERMUTATION[FLIP_PERMUTATION] == torch.arange(68).numpy()).all()
    assert FLIP_PERMUTATION[36] == 45 and FLIP_PERMUTATION[0] == 16 and FLIP_PERMUTATION[30] == 30
    flip_only = FaceAugmentation(flip=1.0, degrees=0.0, translate=0.0, scale=0.0, color=0.0)
    landmarks = torch.rand(2, 68, 2) * 20 + 5
    landmarks[:, 36, 0], landmarks[:, 45, 0] = 8.0, 24.0  # outer eye corners: 36 left of 45 in the image
    masks = torch.zeros(2, 3, 32, 32)
    masks[:, 2] = 1
    masks[:, 0, :, :10], masks[:, 2, :, :10] = 1, 0
    image = torch.rand(2, 3, 32, 32)
    out_image, out_masks, out_landmarks = flip_only(image, masks, landmarks)
    torch.testing.assert_close(out_image, image.flip(-1), atol=1e-5, rtol=0)
    torch.testing.assert_close(out_masks, masks.flip(-1))
    mirrored = landmarks.clone()
    mirrored[..., 0] = 31 - landmarks[..., 0]
    torch.testing.assert_close(out_landmarks, mirrored[:, FLIP_PERMUTATION], atol=1e-4, rtol=0)
    assert (out_landmarks[:, 36, 0] < out_landmarks[:, 45, 0]).all()


def test_affine_fit_recovers_a_known_map():
    source = torch.rand(3, 68, 2) * 64
    affine = torch.tensor([[[1.1, -0.2, 3.0], [0.15, 0.9, -2.0]]]).expand(3, -1, -1)
    target = source @ affine[:, :, :2].transpose(1, 2) + affine[:, :, 2][:, None]
    torch.testing.assert_close(fit_affine(source, target), affine, atol=1e-3, rtol=0)


def test_completion_holes_lie_inside_the_face():
    face = torch.zeros(4, 1, 64, 64)
    face[..., 12:52, 16:48] = 1
    task = CompletionTask.__new__(CompletionTask)
    task.hole_size = (0.25, 0.5)
    holes = task.holes(face, torch.Generator().manual_seed(0))
    assert (holes <= face).all() and (holes.flatten(1).sum(1) > 0).all()
    # boxes of sides >= 0.25 x 64 px centred inside the face keep at least half a side on each axis
    rows, cols = holes[:, 0].amax(2).sum(1), holes[:, 0].amax(1).sum(1)
    assert (rows >= 8).all() and (cols >= 8).all()
    assert torch.equal(holes, task.holes(face, torch.Generator().manual_seed(0)))  # seeded: fixed for validation

"""FSGAN's published v2 weights: the networks equal the authors' (fixtures made from the reference code at a
reduced width by scripts/make_fsgan_v2_fixtures.py), hostile architecture strings are refused in one line, the
68 -> 98 landmark mapping, a swap with published files through swap.py's config, and model.init_from."""

import shutil

import hydra
import pytest
import torch

from fakevideo.config import compose
from fakevideo.errors import CheckpointError
from fakevideo.models.fsgan_v2 import pyr_down
from fakevideo.pipelines.face_models import FaceSwapModels, load_role
from fakevideo.pipelines.swap import build_swapper
from fakevideo.tasks.fsgan_v2 import CompletionV2Task, ReenactmentV2Task
from fakevideo.training.checkpoints import load_checkpoint
from fakevideo.training.init_from import init_generator
from fakevideo.training.published_weights import load_published
from fakevideo.training.run import train
from fakevideo.video.heatmaps import landmark_disks
from fakevideo.video.masks import BACKGROUND, FACE, HAIR
from fakevideo.video.wflw import TWINS, wflw_from_68

FIXTURES = __import__("pathlib").Path(__file__).parent / "data" / "fsgan_published"
ROLES = ("reenactment", "segmentation", "completion", "blending")


@pytest.fixture(scope="module", autouse=True)
def _single_thread(one_thread):
    """Tiny networks."""


def fixture(role: str) -> dict[str, torch.Tensor]:
    return torch.load(FIXTURES / f"{role}_io.pt", weights_only=True)


@pytest.mark.parametrize("role", ["completion", "blending"])
def test_published_generators_compute_what_the_reference_computed(role):
    io = fixture(role)
    with torch.no_grad():
        output = load_published(FIXTURES / f"{role}.pth")(io["input"])  # pyramid made as the reference swap does
    torch.testing.assert_close(output, io["output"], rtol=0, atol=1e-5)


def test_published_reenactment_with_its_landmark_pyramid_equals_the_reference():
    io = fixture("reenactment")
    image, landmarks = io["image"], io["landmarks"]  # landmarks: 98 WFLW points in [0, 1]
    half = pyr_down(image)
    torch.testing.assert_close(half, io["half_image"], rtol=0, atol=1e-6)  # OpenCV's pyrDown
    pyramid = [torch.cat([level, landmark_disks(landmarks, level.shape[-1])], dim=1) for level in (image, half)]
    with torch.no_grad():
        output = load_published(FIXTURES / "reenactment.pth")(pyramid)
    torch.testing.assert_close(output, io["output"], rtol=0, atol=1e-5)


def test_published_segmentation_equals_the_reference_in_our_class_order():
    io = fixture("segmentation")
    with torch.no_grad():
        logits = load_published(FIXTURES / "segmentation.pth")(io["input"])
    reference = io["output"]  # the authors' classes: background, face, hair
    for ours, theirs in ((FACE, 1), (HAIR, 2), (BACKGROUND, 0)):
        torch.testing.assert_close(logits[:, ours], reference[:, theirs], rtol=0, atol=1e-5)


@pytest.mark.parametrize("arch", [
    "os.system('x')",
    "__import__('os').system('x')",
    "res_unet.MultiScaleResUNet(in_nc=__import__('os').getpid(),out_nc=3)",
    "res_unet.MultiScaleResUNet(**{'in_nc': 4})",
    "res_unet.MultiScaleResUNet(4, 3)",
    "res_unet.MultiScaleResUNet(in_nc=4,norm_layer=nn.InstanceNorm2d)",
    "res_unet.MultiScaleResUNet(in_nc=4,ngf=10**9)",
    "res_unet.MultiScaleResUNet(in_nc=4,ngf=1000000000)",
    "torch.nn.Linear(in_features=3,out_features=3)",
    "res_unet_split.MultiScaleResUNet(in_nc=71,out_nc=(3,3),flat_layers=(2,0,2,3),ngf=128)",
    "res_unet.MultiScaleResUNet(in_nc=4,out_nc=(3,3))",
    "res_unet.MultiScaleResUNet(in_nc=4",
    "res_unet.MultiScaleResUNet(in_nc=4)\x00",
    "(" * 199 + ")" * 199,  # nesting at the parser's limit
    "res_unet.MultiScaleResUNet(in_nc=4,out_nc=3,flat_layers=(2,2,2,2),ngf=8)",  # weights of ngf=4
])
def test_hostile_or_foreign_architecture_strings_are_one_line_errors(tmp_path, arch):
    stored = torch.load(FIXTURES / "completion.pth", weights_only=True)
    path = tmp_path / "weights.pth"
    torch.save({"arch": arch, "state_dict": stored["state_dict"]}, path)
    with pytest.raises(CheckpointError) as error:
        load_published(path)
    message = str(error.value)
    assert str(path) in message and "\n" not in message


def test_pickled_objects_in_a_published_file_are_refused(tmp_path):
    path = tmp_path / "weights.pth"
    torch.save({"arch": "res_unet.MultiScaleResUNet(in_nc=4)", "state_dict": {}, "extra": CheckpointError("x")}, path)
    with pytest.raises(CheckpointError, match="unreadable"):
        load_published(path)


def test_wflw_landmarks_keep_the_68_points_they_share():
    points = torch.rand(2, 68, 2) * 256
    wflw = wflw_from_68(points)
    assert wflw.shape == (2, 98, 2)
    for theirs, ours in TWINS.items():
        torch.testing.assert_close(wflw[:, theirs], points[:, ours])
    torch.testing.assert_close(wflw[:, 1], (points[:, 0] + points[:, 1]) / 2)  # contour between jaw points
    torch.testing.assert_close(wflw[:, 96], points[:, 36:42].mean(dim=1), atol=1e-4, rtol=0)  # pupil: eye centre


def test_published_reenactment_input_is_a_two_level_pyramid_of_98_disks():
    task = ReenactmentV2Task(load_published(FIXTURES / "reenactment.pth"), discriminator=None, optimizer_g=None,
                             optimizer_d=None, iterations=1, loss={"perceptual": 0.0})
    images, landmarks = torch.zeros(1, 3, 64, 64), torch.full((1, 68, 2), 31.5)  # every point at the centre
    full, half = task.generator_input(images, landmarks)
    assert full.shape == (1, 101, 64, 64) and half.shape == (1, 101, 32, 32)
    assert full[0, 3:, 31:33, 31:33].min() > 0.6 and full[0, 3:, :20].max() == 0  # a disk about 5 px across


@pytest.fixture(scope="module")
def published_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("published")
    for role in ROLES:
        shutil.copy(FIXTURES / f"{role}.pth", folder / f"{role}.pth")
    return {role: folder / f"{role}.pth" for role in ROLES}


def test_swap_config_builds_fsgan_from_published_files_and_swaps_crops(published_files, tmp_path):
    overrides = ["source=S.png", "target=T.mp4", "device=cpu",
                 *(f"ckpt.{role}={path}" for role, path in published_files.items())]
    models = build_swapper(compose("swap", overrides, tmp_path)).models  # as swap.py builds it
    assert isinstance(models, FaceSwapModels) and (models.image_size, models.crop_scale) == (256, 1.2)
    assert isinstance(models.tasks["reenactment"], ReenactmentV2Task)
    torch.manual_seed(0)
    views, targets = torch.rand(3, 3, 256, 256) * 2 - 1, torch.rand(2, 3, 256, 256) * 2 - 1
    landmarks = 64 + torch.rand(2, 68, 2) * 128
    swapped, masks = models.swap(views, torch.tensor([0, 0, 1]), torch.tensor([0.5, 0.5, 1.0]), targets, landmarks)
    assert swapped.shape == targets.shape and masks.shape == (2, 1, 256, 256)
    assert swapped.abs().max() <= 1 and torch.isfinite(swapped).all()
    segmented = (models.tasks["segmentation"].generator(targets).argmax(1, keepdim=True) == FACE).float()
    torch.testing.assert_close(masks, segmented)  # face regions from the published segmentation, our class order


def test_published_reenactment_fine_tunes_with_the_recipe_loss():
    """swap.py's finetune.iterations trains the reenactment task on self-reenactment (pipelines/finetune.py)."""
    from fakevideo.pipelines.finetune import reconstruction_loss

    task = load_role(FIXTURES / "reenactment.pth", "reenactment")
    torch.manual_seed(0)
    images, landmarks = torch.rand(2, 3, 64, 64) * 2 - 1, 16 + torch.rand(2, 68, 2) * 32
    batch = {"source_image": images, "target_image": images.flip(-1), "target_landmarks": landmarks}
    optimizer = torch.optim.Adam(task.generator.parameters(), lr=1e-2)
    task.generator.train()
    losses = []
    for _ in range(15):
        loss = reconstruction_loss(task, batch)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss))
    assert losses[-1] < 0.8 * losses[0], losses

# -- model.init_from ---------------------------------------------------------------------------------------------


def train_face_model(run_dir, face_dirs, model, *extra):
    """One generator iteration at learning rate 0: the weights stay what set-up gave them."""
    demo, cache = face_dirs
    overrides = [f"model={model}", "data=faces", f"data.demo_dir={demo}", f"data.cache_dir={cache}",
                 "data.detector.upsample=0", "data.image_size=64", "width=8", "logger=csv", "trainer=cpu",
                 "trainer.enable_progress_bar=false", "trainer.enable_model_summary=false",
                 "trainer.num_sanity_val_steps=0", "iterations=1", "validate_every=1", "optimized_metric=null",
                 "model.optimizer_g.lr=0", "model.loss.perceptual=0", "model.perceptual=null", *extra]
    train(compose("train", overrides, run_dir))
    state = load_checkpoint(run_dir / "checkpoints" / "last.ckpt")["state_dict"]
    return {name.removeprefix("generator."): value for name, value in state.items() if name.startswith("generator.")}


def test_a_v2_recipe_starts_from_published_weights(tmp_path, face_dirs):
    path = FIXTURES / "completion.pth"
    trained = train_face_model(tmp_path, face_dirs, "fsgan_v2_completion", "model.generator.width=4",
                               f"model.init_from={path}")
    for name, value in load_published(path).named_parameters():  # batch-norm statistics move in training
        torch.testing.assert_close(trained[name], value, rtol=0, atol=0)
    assert isinstance(load_role(tmp_path / "checkpoints" / "last.ckpt", "completion"), CompletionV2Task)  # swappable


def test_a_recipe_starts_from_its_own_checkpoint_and_refuses_another_architecture(tmp_path, face_dirs):
    small = ["++model.generator.depth=3", "++model.generator.bottleneck_blocks=1", "++model.generator.local_blocks=1"]
    first = train_face_model(tmp_path / "a", face_dirs, "fsgan_completion", *small, "model.optimizer_g.lr=1e-2")
    again = train_face_model(tmp_path / "b", face_dirs, "fsgan_completion", *small,
                             f"model.init_from={tmp_path / 'a' / 'checkpoints' / 'last.ckpt'}")
    assert first.keys() == again.keys()
    for name, value in first.items():
        torch.testing.assert_close(again[name], value, rtol=0, atol=0)
    generator = hydra.utils.instantiate(compose("train", ["model=fsgan_completion", *small], tmp_path).model.generator)
    with pytest.raises(CheckpointError, match="does not fit the configured one") as error:
        init_generator(generator, FIXTURES / "completion.pth")
    assert "\n" not in str(error.value)

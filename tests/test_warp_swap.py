"""The training-free warp swap (`method=warp`): piecewise-affine warp, colour match, Poisson blend on crops, and the
whole swap on a short clip of a face the project never tuned on (tests/data/faces, see its README): the result
carries the source's identity, keeps the target's frames, audio-less length, label and watermark; the warp as
FSGAN's reenactment, followed by completion and/or blending (published v2 files at reduced width)."""

import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from conftest import REPO

from fakevideo.config import compose
from fakevideo.data.demo_faces import photo_clip
from fakevideo.errors import ConfigError
from fakevideo.pipelines.face_models import FaceSwapModels
from fakevideo.pipelines.swap import build_swapper
from fakevideo.pipelines.warp_model import WarpFaceModel
from fakevideo.provenance import check_file, read_video_label
from fakevideo.video.crop import crop_frames, crop_transform, face_box, transform_points
from fakevideo.video.faces import DlibDetector, face_embedding
from fakevideo.video.io import iter_frames, read_video_info
from fakevideo.video.masks import FACE, segmentation_masks
from fakevideo.video.warp import (
    WarpSettings,
    control_points,
    delaunay,
    match_colour,
    piecewise_affine,
    seamless_paste,
    warp_swap,
)

FACES = Path(__file__).parent / "data" / "faces"
DETECTOR = DlibDetector(upsample=0)
CLIP_FRAMES = 10


def photo(name: str) -> np.ndarray:
    return next(iter_frames(FACES / f"{name}.jpg"))


def face_crop(name: str, size: int = 256) -> tuple[np.ndarray, np.ndarray]:
    """A photo's face cropped as the swap crops it, with its landmarks in crop pixels."""
    image = photo(name)
    face = max(DlibDetector(upsample=1).detect(image), key=lambda f: f.score)
    matrix = crop_transform(face_box(face.box, face.landmarks68), size)
    return crop_frames(image[None], matrix[None], size)[0], transform_points(face.landmarks68, matrix)


def embedding(image: np.ndarray) -> np.ndarray:
    return face_embedding(image, max(DETECTOR.detect(image), key=lambda f: f.score))


def test_delaunay_triangles_tile_the_hull_of_the_points():
    _, landmarks = face_crop("obama")
    points = control_points(landmarks, 0.2)
    triangles = delaunay(points)
    area = lambda p: 0.5 * abs(np.cross(p[1] - p[0], p[2] - p[0]))  # noqa: E731
    hull = cv2.contourArea(cv2.convexHull(points.astype(np.float32)))
    # OpenCV may leave out a sliver on a nearly straight stretch of the hull (its outer vertices are finite).
    assert sum(area(points[t]) for t in triangles) == pytest.approx(hull, rel=1e-3)
    assert len(np.unique(triangles)) == len(points) == 78


def test_piecewise_affine_reproduces_a_global_affine_warp():
    image, landmarks = face_crop("biden")
    points = control_points(landmarks, 0.2)
    affine = cv2.getRotationMatrix2D((128, 128), 7, 0.9)
    moved = points @ affine[:, :2].T + affine[:, 2]
    warped, covered = piecewise_affine(image, points, moved, delaunay(points), (256, 256))
    expected = cv2.warpAffine(image, affine, (256, 256), flags=cv2.INTER_LINEAR)
    inside = cv2.erode(covered.astype(np.uint8), np.ones((5, 5))) > 0
    assert inside.mean() > 0.2
    assert np.abs(warped.astype(int) - expected)[inside].mean() < 1.0


def test_colour_match_moves_the_face_statistics_to_the_reference():
    image, landmarks = face_crop("biden")
    reference, _ = face_crop("obama")
    mask = np.zeros((256, 256), bool)
    mask[80:180, 80:180] = True
    lab = lambda x: cv2.cvtColor(x, cv2.COLOR_RGB2LAB)[mask].astype(float)  # noqa: E731
    matched = match_colour(image, reference, mask)
    np.testing.assert_allclose(lab(matched).mean(0), lab(reference).mean(0), atol=2.0)
    np.testing.assert_allclose(lab(matched).std(0), lab(reference).std(0), rtol=0.1)
    assert np.abs(lab(image).mean(0) - lab(reference).mean(0)).max() > 10  # there was something to match


def test_swapping_a_face_onto_itself_changes_nothing_and_the_blend_stays_in_place():
    image, landmarks = face_crop("obama")
    same, mask = warp_swap(image, landmarks, image, landmarks, WarpSettings(colour=False, mouth=False))
    assert mask.mean() > 0.2
    assert np.abs(same.astype(int) - image).max() <= 2
    shifted = np.roll(image, 3, axis=1)
    pasted = seamless_paste(shifted, image, mask)
    assert np.abs(pasted.astype(int) - image)[~mask].max() == 0  # outside the mask: the target, untouched


def test_warp_swap_carries_the_source_identity_and_keeps_the_target_mouth():
    (source, source_points), (target, target_points) = face_crop("biden"), face_crop("obama")
    swapped, _ = warp_swap(source, source_points, target, target_points)
    to_source, to_target = (np.linalg.norm(embedding(swapped) - embedding(x)) for x in (source, target))
    assert to_source < to_target
    lipless, _ = warp_swap(source, source_points, target, target_points, WarpSettings(mouth=False))
    (x0, y0), (x1, y1) = target_points[60:68].min(0).astype(int) + 2, target_points[60:68].max(0).astype(int) - 1
    teeth = [np.abs(x[y0:y1, x0:x1].astype(int) - target[y0:y1, x0:x1]).mean() for x in (swapped, lipless)]
    assert teeth[0] < 0.4 * teeth[1]  # the target's open mouth, not the source's stretched closed lips


@pytest.fixture(scope="module")
def target_clip(tmp_path_factory) -> Path:
    return photo_clip(photo("obama"), tmp_path_factory.mktemp("clip") / "obama.mp4", CLIP_FRAMES, seed=3)


def swap_overrides(source, target, output, cache) -> list[str]:
    return [f"source={source}", f"target={target}", f"output={output}", f"cache_dir={cache}", "detector.upsample=0",
            "device=cpu"]


def test_warp_is_the_method_without_checkpoints_and_refuses_finetuning(tmp_path):
    cfg = compose("swap", swap_overrides("s", "t", "o", tmp_path), tmp_path)
    assert isinstance(build_swapper(cfg).models, WarpFaceModel)
    with pytest.raises(ConfigError, match="^finetune.iterations: "):
        build_swapper(compose("swap", [*swap_overrides("s", "t", "o", tmp_path), "finetune.iterations=5"], tmp_path))
    with pytest.raises(ConfigError, match="^method: 'gan'"):
        build_swapper(compose("swap", [*swap_overrides("s", "t", "o", tmp_path), "method=gan"], tmp_path))


def test_swap_command_with_the_warp_moves_identity_to_the_source(target_clip, tmp_path):
    """On a clip of a face the project never tuned on, every frame's face is closer to the source's identity."""
    output = tmp_path / "swapped.mp4"
    command = [sys.executable, "swap.py", *swap_overrides(FACES / "biden.jpg", target_clip, output, tmp_path / "c")]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"{CLIP_FRAMES} swapped, 0 without a face" in result.stdout
    info = read_video_info(output)
    assert (info.num_frames, info.width, info.fps) == (CLIP_FRAMES, 256, 25.0)
    source, target = embedding(photo("biden")), embedding(photo("obama"))
    closer = [np.linalg.norm(embedding(f) - source) < np.linalg.norm(embedding(f) - target)
              for f in iter_frames(output)]
    assert np.mean(closer) >= 0.9, closer
    label = read_video_label(output)
    assert label.synthetic and label.model_family == "warp" and label.extra["source"] == "biden.jpg"
    assert check_file(output).watermark.detected


# -- the warp as FSGAN's reenactment (ckpt.completion / ckpt.blending with method=warp) -------------------------

PUBLISHED = Path(__file__).parent / "data" / "fsgan_published"  # reduced-width published v2 files, 256 px crops


def test_warp_takes_no_reenactment_checkpoint(tmp_path):
    overrides = [*swap_overrides("s", "t", "o", tmp_path), "method=warp", f"ckpt.reenactment={PUBLISHED}/r.pth"]
    with pytest.raises(ConfigError, match="^ckpt.reenactment: method=warp is the reenactment"):
        build_swapper(compose("swap", overrides, tmp_path))


def test_completion_after_the_warp_fills_the_face_region_and_poisson_still_pastes():
    """Without a blending model the completed face is Poisson-blended; the region swapped is the target's whole
    landmark face region (forehead included), which the warp alone does not cover, and nothing outside it moves."""
    (source, source_points), (target, target_points) = face_crop("biden"), face_crop("obama")
    stages = FaceSwapModels.from_checkpoints({"completion": PUBLISHED / "completion.pth"}, "cpu", required=())
    model = WarpFaceModel(stages=stages)
    as_tensor = lambda x: torch.from_numpy(x[None]).permute(0, 3, 1, 2).float() / 127.5 - 1  # noqa: E731
    points = lambda x: torch.from_numpy(x[None]).float()  # noqa: E731
    swapped, region = model.swap(as_tensor(source), torch.tensor([0]), torch.tensor([1.0]), as_tensor(target),
                                 points(target_points), points(source_points))
    _, warp_mask = warp_swap(source, source_points, target, target_points)
    face = segmentation_masks(target_points, (256, 256))[FACE] > 0
    np.testing.assert_array_equal(region[0, 0].numpy() > 0.5, face)
    assert face.sum() > 1.2 * warp_mask.sum()  # the forehead the warp leaves to completion
    image = ((swapped[0].permute(1, 2, 0) + 1) * 127.5).round().numpy()
    assert np.abs(image - target)[~face].max() == 0
    assert np.abs(image - target)[face & ~warp_mask].mean() > 5  # completed, not the target's forehead
    assert model.family == "warp+fsgan" and set(model.checkpoints) == {"completion"}


def test_swap_command_with_the_warp_and_fsgan_blending(target_clip, tmp_path):
    """`method=warp ckpt.blending=FILE`: the blending generator replaces the Poisson blend inside the face; the
    rest of each frame stays the target's, and the video is labelled and watermarked."""
    cache = tmp_path / "c"
    plain = build_swapper(compose("swap", swap_overrides(FACES / "biden.jpg", target_clip, "p", cache), tmp_path))
    plain.swap(FACES / "biden.jpg", target_clip, tmp_path / "plain.mp4")
    output = tmp_path / "blended.mp4"
    command = [sys.executable, "swap.py", *swap_overrides(FACES / "biden.jpg", target_clip, output, cache),
               "method=warp", f"ckpt.blending={PUBLISHED / 'blending.pth'}"]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert f"{CLIP_FRAMES} swapped, 0 without a face" in result.stdout
    frames = zip(iter_frames(target_clip), iter_frames(tmp_path / "plain.mp4"), iter_frames(output), strict=True)
    for index, (target, warped, blended) in enumerate(frames):
        points = max(DETECTOR.detect(target), key=lambda f: f.score).landmarks68
        (x0, y0), (x1, y1) = points.min(0).astype(int), points.max(0).astype(int)
        inner = (slice(y0 + (y1 - y0) // 4, y1 - (y1 - y0) // 4), slice(x0 + (x1 - x0) // 4, x1 - (x1 - x0) // 4))
        assert np.abs(blended[inner].astype(float) - warped[inner]).mean() > 10, index
        margin = (x1 - x0) // 2
        outside = np.ones(target.shape[:2], bool)
        outside[max(y0 - margin, 0): y1 + margin, max(x0 - margin, 0): x1 + margin] = False
        assert np.abs(blended.astype(float) - target).mean(axis=2)[outside].mean() < 3.0, index
    label = read_video_label(output)
    assert label.synthetic and label.model_family == "warp+fsgan" and set(label.extra["checkpoints"]) == {"blending"}
    assert check_file(output).watermark.detected

"""`target_face=largest|N|PHOTO`: on a video of two demo faces side by side, the chosen face is replaced and the other
face's pixels are left exactly as they were (checked on the frames handed to the encoder: re-encoding alone moves
pixels by 1-1.5 grey levels); the parser's one-line errors."""

from pathlib import Path

import cv2
import numpy as np
import pytest

from fakevideo.data.demo_faces import build_demo_faces, write_frames
from fakevideo.errors import ConfigError, InputError
from fakevideo.pipelines.swap import FaceSwapper, SwapOptions
from fakevideo.pipelines.warp_model import WarpFaceModel
from fakevideo.video.face_choice import parse_face_choice
from fakevideo.video.faces import DlibDetector
from fakevideo.video.io import iter_frames

FRAMES = 8
SOURCE = Path(__file__).parent / "data" / "faces" / "biden.jpg"
SMALL = 200  # the right-hand face is shrunk to this size, so the left one is the largest


@pytest.fixture(scope="module")
def two_faces(tmp_path_factory) -> tuple[Path, Path]:
    """A 512 x 256 clip: the astronaut on the left, Grace Hopper (smaller) on the right; and Grace Hopper's still."""
    root = tmp_path_factory.mktemp("two_faces")
    left, right = build_demo_faces(root / "demo", identities=["astronaut", "grace_hopper"], clips_per_identity=1)
    frames = []
    for a, b in zip(iter_frames(left.video), iter_frames(right.video), strict=True):
        canvas = np.full_like(b, 128)
        offset = (256 - SMALL) // 2
        canvas[offset:offset + SMALL, offset:offset + SMALL] = cv2.resize(b, (SMALL, SMALL),
                                                                          interpolation=cv2.INTER_AREA)
        frames.append(np.hstack([a, canvas]))
    return write_frames(root / "two.mp4", frames[:FRAMES]), right.video.parent / "still.png"


def changed_halves(video: Path, choice, cache: Path, tmp_path: Path, monkeypatch) -> tuple[np.ndarray, np.ndarray]:
    """Per frame, the mean absolute change of the left and of the right half made by swapping the chosen face,
    measured on the frames as they go to the encoder."""
    written = []
    mark = FaceSwapper._mark
    monkeypatch.setattr(FaceSwapper, "_mark", lambda self, frame: written.append(frame.copy()) or mark(self, frame))
    options = SwapOptions(batch_size=4, watermark=False, target_face=parse_face_choice(choice))
    swapper = FaceSwapper(WarpFaceModel(), DlibDetector(upsample=0), cache, options)
    summary = swapper.swap(SOURCE, video, tmp_path / "out.mp4")
    assert summary.swapped == len(written) == FRAMES
    diffs = [np.abs(a.astype(float) - b) for a, b in zip(iter_frames(video), written, strict=True)]
    return np.array([d[:, :256].mean() for d in diffs]), np.array([d[:, 256:].mean() for d in diffs])


@pytest.mark.parametrize(("choice", "replaced"), [("largest", "left"), ("1", "right"), ("photo", "right")])
def test_only_the_chosen_face_is_replaced(two_faces, choice, replaced, tmp_path_factory, tmp_path, monkeypatch):
    video, grace_still = two_faces
    cache = tmp_path_factory.getbasetemp() / "two_faces_cache"  # detections shared between the choices
    left, right = changed_halves(video, grace_still if choice == "photo" else choice, cache, tmp_path, monkeypatch)
    swapped, kept = (left, right) if replaced == "left" else (right, left)
    assert swapped.min() > 2.0, swapped  # the face, a fifth of the half, repainted
    assert kept.max() == 0, kept  # not one pixel of the other face changed


def test_face_choice_errors_are_one_line(two_faces, tmp_path_factory, tmp_path, monkeypatch):
    video, _ = two_faces
    with pytest.raises(InputError, match=r"target_face=2, but the video has 2 face track\(s\)$"):
        changed_halves(video, "2", tmp_path_factory.getbasetemp() / "two_faces_cache", tmp_path, monkeypatch)
    with pytest.raises(ConfigError, match="^target_face=-1: a track index counts from 0$"):
        parse_face_choice("-1")
    with pytest.raises(ConfigError, match="^target_face=nobody.png: not main, largest"):
        parse_face_choice("nobody.png")
    assert parse_face_choice(3) == 3 and parse_face_choice("largest") == "largest"


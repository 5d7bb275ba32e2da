"""Built-in demo face clips, made offline from real photos that ship inside installed packages.

Real identities: scikit-image's `astronaut.png` (Eileen Collins) and matplotlib's `grace_hopper.jpg`.
scikit-image's `lfw_subset.npy` faces are 25 x 25 px, too small for any landmark detector, so they are not
used. Two more *synthetic* identities are derived by mirroring, tinting and stretching those photos: they are
not different people, only different-looking inputs for pipeline tests.

Each clip animates one 256 px still with known homographies (rotation, scale, translation, a slight
perspective) and brightness changes, applied to the image and to its detected landmarks alike, so tests know
the ground-truth landmarks and roll of every frame. Layout: `<root>/<identity>/<clip>.mp4` with ground truth
in `<clip>.npz` and the still as `still.png`. Deterministic; files already present are reused.
"""

from __future__ import annotations

import importlib.util
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from kornia.geometry.transform import warp_perspective

from fakevideo.atomic import atomic_path
from fakevideo.errors import ConfigError, InputError
from fakevideo.video.crop import crop_frames, crop_transform, face_box, transform_points
from fakevideo.video.faces import DlibDetector
from fakevideo.video.io import VideoWriter, iter_frames

DEMO_FPS = 25.0
STILL_SCALE = 1.8  # crop side / face box side of the stills: room for motion and hair


def _package_file(package: str, *parts: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise InputError(f"{package}: not installed, cannot build demo faces")
    path = Path(next(iter(spec.submodule_search_locations)), *parts)
    if not path.is_file():
        raise InputError(f"{path}: demo photo missing from the installed {package}")
    return path


def _mirror_tint(image: np.ndarray, tint: tuple[float, float, float], stretch: float) -> np.ndarray:
    """Mirror, tint and widen a photo: a synthetic look-alike 'identity' (same person underneath)."""
    mirrored = image[:, ::-1].astype(np.float32) * np.array(tint, np.float32)
    height, width = image.shape[:2]
    matrix = np.array([[stretch, 0, (1 - stretch) * (width - 1) / 2], [0, 1, 0], [0, 0, 1]])
    return crop_frames(np.clip(mirrored, 0, 255).astype(np.uint8)[None], matrix[None], width)[0][:height]


PHOTO_FILES = {"astronaut": ("skimage", "data", "astronaut.png"),
               "grace_hopper": ("matplotlib", "mpl-data", "sample_data", "grace_hopper.jpg")}


def photo_file(identity: str) -> Path:
    """The installed file of a real demo identity's photo (`astronaut`, `grace_hopper`)."""
    return _package_file(*PHOTO_FILES[identity])


def _astronaut() -> np.ndarray:
    return next(iter_frames(photo_file("astronaut")))


def _grace_hopper() -> np.ndarray:
    return next(iter_frames(photo_file("grace_hopper")))


IDENTITIES: dict[str, Callable[[], np.ndarray]] = {
    "astronaut": _astronaut,
    "grace_hopper": _grace_hopper,
    "astronaut_mirror_tint": lambda: _mirror_tint(_astronaut(), (1.0, 0.85, 0.75), 1.1),
    "grace_hopper_mirror_tint": lambda: _mirror_tint(_grace_hopper(), (0.8, 0.9, 1.1), 1.08),
}


@dataclass(frozen=True)
class DemoClip:
    """One demo clip: its video and the ground truth for every frame."""

    identity: str
    video: Path
    landmarks: np.ndarray  # (T, 68, 2) pixel (x, y)
    homographies: np.ndarray  # (T, 3, 3) still -> frame
    roll: np.ndarray  # (T,) degrees of in-plane rotation added to the still's pose
    brightness: np.ndarray  # (T,) multiplicative gain


def make_still(photo: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Square `size` px still around the photo's best face and its (68, 2) landmarks."""
    faces = DlibDetector(upsample=1).detect(photo)
    assert faces, "demo photos contain a frontal face"
    face = max(faces, key=lambda f: f.score)
    box = face_box(face.box, face.landmarks68)
    scale = min(STILL_SCALE, (min(photo.shape[:2]) - 1) / max(box[2:] - box[:2]))
    matrix = crop_transform(box, size, scale)
    # Slide the square inside the photo so the still has no black border.
    for axis, extent in enumerate((photo.shape[1], photo.shape[0])):
        matrix[axis, 2] = min(max(matrix[axis, 2], size - 1 - matrix[axis, axis] * (extent - 1)), 0.0)
    return crop_frames(photo[None], matrix[None], size)[0], transform_points(face.landmarks68, matrix)


def clip_motion(seed: int, num_frames: int, size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Smooth random motion: (T, 3, 3) homographies about the image centre, roll degrees, brightness gains."""
    rng = np.random.default_rng(seed)
    phase = 2 * np.pi * np.arange(num_frames) / num_frames + rng.uniform(0, 2 * np.pi, size=6)[:, None]
    roll = rng.uniform(8, 15) * np.sin(phase[0])
    scale = 1 + rng.uniform(0.03, 0.08) * np.sin(phase[1])
    shift = size * rng.uniform(0.02, 0.05, size=(2, 1)) * np.sin(phase[2:4])
    tilt = 2e-4 * rng.uniform(0.5, 1, size=(2, 1)) * np.sin(phase[4:6]) * 256 / size
    brightness = 1 + rng.uniform(0.05, 0.15) * np.sin(phase[0] + phase[1])
    centre = (size - 1) / 2
    to_centre = np.array([[1, 0, -centre], [0, 1, -centre], [0, 0, 1.0]])
    homographies = []
    for t in range(num_frames):
        angle = np.deg2rad(roll[t])
        cos, sin = scale[t] * np.cos(angle), scale[t] * np.sin(angle)
        motion = np.array([[cos, -sin, shift[0, t]], [sin, cos, shift[1, t]], [tilt[0, t], tilt[1, t], 1]])
        homographies.append(np.linalg.inv(to_centre) @ motion @ to_centre)
    return np.array(homographies), roll, brightness


def render_clip(still: np.ndarray, homographies: np.ndarray, brightness: np.ndarray) -> np.ndarray:
    """Warp the (S, S, 3) still, or one still per frame (T, S, S, 3), by each homography (reflecting at borders) and
    apply each brightness gain."""
    size = still.shape[-2]
    stills = torch.from_numpy(still).reshape(-1, size, size, 3).permute(0, 3, 1, 2).float()
    image = stills.expand(len(homographies), -1, -1, -1)
    mats = torch.from_numpy(homographies.astype(np.float32))
    warped = warp_perspective(image, mats, (size, size), padding_mode="reflection")
    warped = warped * torch.from_numpy(brightness.astype(np.float32))[:, None, None, None]
    return warped.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).numpy()


def write_frames(path: Path, frames: Sequence[np.ndarray] | np.ndarray, metadata: dict[str, str] | None = None) -> Path:
    """Encode frames as a DEMO_FPS mp4 at `path` (atomically)."""
    with VideoWriter(path, DEMO_FPS, metadata=metadata) as writer:
        for frame in frames:
            writer.write(frame)
    return path


def photo_clip(photo: np.ndarray, path: str | Path, num_frames: int, seed: int = 0, size: int = 256) -> Path:
    """A `num_frames` clip at `path` of the photo's face moving as the demo clips do: a target video made from any
    photo (tests and benchmarks on faces the demo never uses)."""
    still, _ = make_still(photo, size)
    homographies, _, brightness = clip_motion(seed, num_frames, size)
    return write_frames(Path(path), render_clip(still, homographies, brightness))


def load_demo_clip(identity: str, video: Path) -> DemoClip:
    """A written clip with the ground truth stored beside it."""
    with np.load(video.with_suffix(".npz")) as data:
        truth = [data[k] for k in ("landmarks", "homographies", "roll", "brightness")]
    return DemoClip(identity, video, *truth)


def build_demo_faces(
    root: str | Path,
    num_frames: int = 24,
    size: int = 256,
    clips_per_identity: int = 2,
    identities: Sequence[str] | None = None,
) -> list[DemoClip]:
    """Write (or reuse) the demo clips under `root` (all identities unless named) with their ground truth."""
    root = Path(root)
    clips = []
    for identity in identities or list(IDENTITIES):
        if identity not in IDENTITIES:
            raise ConfigError(f"demo identity {identity!r}: choose from {sorted(IDENTITIES)}")
        photo = IDENTITIES[identity]
        folder = root / identity
        names = [f"clip{i}" for i in range(clips_per_identity)]
        if not all((folder / f"{n}.mp4").is_file() and (folder / f"{n}.npz").is_file() for n in names):
            still, still_landmarks = make_still(photo(), size)
            with atomic_path(folder / "still.png") as tmp:
                cv2.imwrite(str(tmp), still[..., ::-1])
            for name in names:
                _write_clip(folder / name, identity, still, still_landmarks, num_frames)
        clips.extend(load_demo_clip(identity, folder / f"{n}.mp4") for n in names)
    return clips


def _write_clip(
    stem: Path, identity: str, still: np.ndarray, still_landmarks: np.ndarray, num_frames: int
) -> None:
    seed = zlib.crc32(f"{identity}/{stem.name}".encode())
    homographies, roll, brightness = clip_motion(seed, num_frames, still.shape[0])
    landmarks = np.array([transform_points(still_landmarks, h) for h in homographies])
    with atomic_path(stem.with_suffix(".npz")) as tmp:
        np.savez(tmp, landmarks=landmarks, homographies=homographies, roll=roll, brightness=brightness)
    metadata = {"comment": f"fakevideo demo clip: {identity}"}
    write_frames(stem.with_suffix(".mp4"), render_clip(still, homographies, brightness), metadata)

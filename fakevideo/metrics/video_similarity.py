"""Video similarity (the seed study's "average similarity"): per-frame and averaged cosine, MSE and SSIM between
two videos over three feature types, plus identity, pose and expression measures of a face swap.

Feature types: `pixels` (the RGB frame in [0, 1]), `face` (dlib's 128-d embedding of the main face; frames without
a face are missing, NaN) and `pca` (coefficients on principal components fitted on the pair's frames). Cosine
compares the feature vectors; MSE and SSIM (kornia) compare images: the frame for `pixels`, the frame rebuilt from
its PCA coefficients for `pca`. For an embedding MSE is taken on the vector and SSIM, which needs spatial
structure, is undefined (NaN).
Videos are decoded frame by frame; PCA reads them twice (fit on a strided sample, then project every frame).
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from kornia.metrics import ssim

from fakevideo.errors import InputError
from fakevideo.video.faces import FaceDetector, face_embedding, make_detector
from fakevideo.video.io import iter_frames, read_video_info
from fakevideo.video.pose import head_pose

FEATURES = ("pixels", "face", "pca")
METRICS = ("cosine", "mse", "ssim")
EMBEDDING_DIM = 128
NUM_LANDMARKS = 68
OUTER_EYE_CORNERS = (36, 45)
SSIM_WINDOW = 11
_BATCH = 16


@dataclass(frozen=True)
class Similarity:
    """Per-frame cosine, MSE and SSIM of one feature type between two videos; NaN where undefined or missing."""

    feature: str
    cosine: np.ndarray
    mse: np.ndarray
    ssim: np.ndarray

    def means(self) -> dict[str, float]:
        """Average of each metric over the frames where it is defined (NaN when it is defined nowhere)."""
        return {m: _nanmean(getattr(self, m)) for m in METRICS}

    @property
    def missing(self) -> int:
        """Frames whose features could not be compared (no face found in either video)."""
        return int(np.isnan(self.cosine).sum())


@dataclass(frozen=True)
class FaceTrack:
    """The main (highest-scoring) face of every frame of one video; NaN rows where no face was found."""

    path: Path
    width: int
    height: int
    landmarks: np.ndarray  # (T, 68, 2) pixels
    embeddings: np.ndarray  # (T, 128)
    poses: np.ndarray  # (T, 3) yaw, pitch, roll degrees

    @property
    def found(self) -> np.ndarray:
        return ~np.isnan(self.embeddings[:, 0])

    def identity(self) -> np.ndarray:
        """Unit-norm mean of the unit-norm embeddings: the video's identity."""
        if not self.found.any():
            raise InputError(f"{self.path}: no face found in any frame")
        units = _unit(self.embeddings[self.found])
        return _unit(units.mean(0))


def _nanmean(values: np.ndarray) -> float:
    return float(np.nanmean(values)) if np.isfinite(values).any() else float("nan")


def _unit(vectors: np.ndarray) -> np.ndarray:
    return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def cosine_rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of (N, D) arrays; NaN where a row is zero or missing."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return (a * b).sum(-1) / (np.linalg.norm(a, axis=-1) * np.linalg.norm(b, axis=-1))


def frame_pairs(path_a: str | Path, path_b: str | Path) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Decoded frames of two videos side by side, truncated to the shorter (with a warning); frames of `b` are
    resized to `a`'s size when the sizes differ."""
    info_a, info_b = read_video_info(path_a), read_video_info(path_b)
    if info_a.num_frames != info_b.num_frames:
        warnings.warn(
            f"{path_a} has {info_a.num_frames} frames, {path_b} has {info_b.num_frames}: "
            f"comparing the first {min(info_a.num_frames, info_b.num_frames)}",
            stacklevel=1,  # reported once per pair of lengths, however many metrics read the pair
        )
    resize = (info_a.width, info_a.height) != (info_b.width, info_b.height)
    for frame_a, frame_b in zip(iter_frames(path_a), iter_frames(path_b), strict=False):
        if resize:
            frame_b = cv2.resize(frame_b, (info_a.width, info_a.height), interpolation=cv2.INTER_AREA)
        yield frame_a, frame_b


def _batches(pairs: Iterator[tuple[np.ndarray, np.ndarray]]) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
    """Pairs of frames stacked into float (B, 3, H, W) tensors in [0, 1], `_BATCH` at a time."""
    while chunk := list(itertools.islice(pairs, _BATCH)):
        a, b = (torch.from_numpy(np.stack(side)).permute(0, 3, 1, 2).float() / 255 for side in zip(*chunk, strict=True))
        yield a, b


def _ssim(a: torch.Tensor, b: torch.Tensor) -> np.ndarray:
    """Mean SSIM per image of two (B, C, H, W) batches in [0, 1], over full windows only (as Wang et al.)."""
    return ssim(a, b, SSIM_WINDOW, max_val=1.0, padding="valid").mean(dim=(1, 2, 3)).numpy().astype(np.float64)


def _mse(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return ((a - b) ** 2).mean(-1)


def pixel_similarity(path_a: str | Path, path_b: str | Path) -> Similarity:
    """Cosine and MSE of the flattened RGB frames in [0, 1], and their SSIM."""
    cosine, mse, structural = [], [], []
    for a, b in _batches(frame_pairs(path_a, path_b)):
        flat_a, flat_b = a.flatten(1).double().numpy(), b.flatten(1).double().numpy()
        cosine.append(cosine_rows(flat_a, flat_b))
        mse.append(_mse(flat_a, flat_b))
        structural.append(_ssim(a, b))
    return Similarity("pixels", *(np.concatenate(v) for v in (cosine, mse, structural)))


def _downsample(frames: torch.Tensor, size: tuple[int, int]) -> np.ndarray:
    """(B, 3, H, W) frames in [0, 1] -> (B, D) vectors at (width, height) `size`, area-averaged."""
    resized = torch.nn.functional.interpolate(frames, size=size[::-1], mode="area")
    return resized.flatten(1).double().numpy()


@dataclass(frozen=True)
class PCABasis:
    """Principal components of a pair's frames at a reduced size: mean (D,) and components (K, D)."""

    size: tuple[int, int]  # (width, height) the frames are resized to
    mean: np.ndarray
    components: np.ndarray

    def flatten(self, frames: torch.Tensor) -> np.ndarray:
        return _downsample(frames, self.size)

    def project(self, vectors: np.ndarray) -> np.ndarray:
        return (vectors - self.mean) @ self.components.T

    def rebuild(self, coefficients: np.ndarray) -> torch.Tensor:
        """Images (B, 3, h, w) in [0, 1] from their coefficients."""
        flat = self.mean + coefficients @ self.components
        return torch.from_numpy(flat).float().reshape(len(flat), 3, self.size[1], self.size[0]).clamp(0, 1)


def fit_pca(
    path_a: str | Path, path_b: str | Path, components: int = 16, size: int = 64, max_fit_frames: int = 256
) -> PCABasis:
    """PCA (exact SVD) of both videos' frames resized to `size` px on the longer side, fitted on at most
    `max_fit_frames` evenly strided frames of each; keeps at most `components` with non-zero variance."""
    info = read_video_info(path_a)
    scale = size / max(info.width, info.height)
    shape = (max(1, round(info.width * scale)), max(1, round(info.height * scale)))
    num_frames = min(info.num_frames, read_video_info(path_b).num_frames)
    stride = -(-num_frames // max_fit_frames)
    samples_a, samples_b = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the caller already warned about differing lengths
        for a, b in _batches(itertools.islice(frame_pairs(path_a, path_b), 0, None, stride)):
            samples_a.append(_downsample(a, shape))
            samples_b.append(_downsample(b, shape))
    samples = np.concatenate(samples_a + samples_b)
    mean = samples.mean(0)
    _, singular, rows = np.linalg.svd(samples - mean, full_matrices=False)
    keep = min(components, int((singular > singular[0] * 1e-6).sum()) if singular[0] > 0 else 0)
    return PCABasis(shape, mean, rows[:keep])


def pca_similarity(path_a: str | Path, path_b: str | Path, basis: PCABasis | None = None) -> Similarity:
    """Cosine of the frames' PCA coefficients (basis fitted on the pair unless given); MSE and SSIM of the frames
    rebuilt from them (the MSE per pixel, i.e. the squared coefficient distance over D: the basis is orthonormal)."""
    basis = basis or fit_pca(path_a, path_b)
    cosine, mse, structural = [], [], []
    for a, b in _batches(frame_pairs(path_a, path_b)):
        coef_a, coef_b = basis.project(basis.flatten(a)), basis.project(basis.flatten(b))
        cosine.append(cosine_rows(coef_a, coef_b))
        mse.append(((coef_a - coef_b) ** 2).sum(-1) / basis.mean.size)
        structural.append(_ssim(basis.rebuild(coef_a), basis.rebuild(coef_b)))
    return Similarity("pca", *(np.concatenate(v) for v in (cosine, mse, structural)))


def face_track(path: str | Path, detector: FaceDetector | None = None) -> FaceTrack:
    """Detect the main face of every frame and record its landmarks, 128-d dlib embedding and head pose."""
    path = Path(path)
    detector = detector or make_detector("dlib")
    info = read_video_info(path)
    landmarks, embeddings, poses = [], [], []
    for frame in iter_frames(path):
        faces = detector.detect(frame)
        if faces:
            face = max(faces, key=lambda f: f.score)
            landmarks.append(face.landmarks68)
            embeddings.append(face_embedding(frame, face))
            poses.append(head_pose(face.landmarks68, frame.shape[1], frame.shape[0]))
        else:
            landmarks.append(np.full((NUM_LANDMARKS, 2), np.nan))
            embeddings.append(np.full(EMBEDDING_DIM, np.nan))
            poses.append(np.full(3, np.nan))
    return FaceTrack(path, info.width, info.height, np.array(landmarks), np.array(embeddings), np.array(poses))


def _common(a: FaceTrack, b: FaceTrack, field: str) -> tuple[np.ndarray, np.ndarray]:
    """The same per-frame field of two tracks, truncated to the shorter (the caller warned about lengths)."""
    count = min(len(a.embeddings), len(b.embeddings))
    return getattr(a, field)[:count], getattr(b, field)[:count]


def embedding_similarity(a: FaceTrack, b: FaceTrack) -> Similarity:
    """Cosine and MSE of the two videos' face embeddings frame by frame (NaN where either has no face)."""
    emb_a, emb_b = _common(a, b, "embeddings")
    return Similarity("face", cosine_rows(emb_a, emb_b), _mse(emb_a, emb_b), np.full(len(emb_a), np.nan))


def video_similarity(
    path_a: str | Path, path_b: str | Path, tracks: tuple[FaceTrack, FaceTrack] | None = None
) -> dict[str, Similarity]:
    """All three feature types between two videos; pass face tracks already computed to skip detection."""
    track_a, track_b = tracks or (face_track(path_a), face_track(path_b))
    return {
        "pixels": pixel_similarity(path_a, path_b),
        "face": embedding_similarity(track_a, track_b),
        "pca": pca_similarity(path_a, path_b),
    }


def identity_similarity(swapped: FaceTrack, reference: FaceTrack) -> np.ndarray:
    """Per frame of `swapped`: cosine of its face embedding to `reference`'s identity (NaN where no face)."""
    return cosine_rows(swapped.embeddings, reference.identity()[None])


def pose_error(swapped: FaceTrack, target: FaceTrack) -> np.ndarray:
    """(T, 3) absolute yaw, pitch and roll differences in degrees, frame by frame (NaN where a face is missing)."""
    pose_a, pose_b = _common(swapped, target, "poses")
    return np.abs(pose_a - pose_b)


def expression_error(swapped: FaceTrack, target: FaceTrack) -> np.ndarray:
    """(T,) mean distance between corresponding landmarks over the target's inter-ocular distance."""
    points_a, points_b = _common(swapped, target, "landmarks")
    left, right = OUTER_EYE_CORNERS
    inter_ocular = np.linalg.norm(points_b[:, left] - points_b[:, right], axis=-1)
    return np.linalg.norm(points_a - points_b, axis=-1).mean(-1) / inter_ocular

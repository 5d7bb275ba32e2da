"""Video similarity measures (the seed study's "average similarity") on decoded frames and face tracks: per-frame
cosine, MSE and SSIM over three feature types, plus identity, pose and expression measures of a face swap.

Feature types: `pixels` (the RGB frame in [0, 1]), `face` (dlib's 128-d embedding of the main face; frames without
a face are missing, NaN) and `pca` (coefficients on principal components fitted on the pair's frames). Cosine
compares the feature vectors; MSE and SSIM (kornia) compare images: the frame for `pixels`, the frame rebuilt from
its PCA coefficients for `pca`. For an embedding MSE is taken on the vector and SSIM, which needs spatial
structure, is undefined (NaN). Pure functions on frames and tracks: decoding videos and detecting faces is
`fakevideo.evaluation.video`'s job.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
from kornia.metrics import ssim

from fakevideo.errors import InputError
from fakevideo.video.masks import FACE, segmentation_masks

FEATURES = ("pixels", "face", "pca")
METRICS = ("cosine", "mse", "ssim")
EMBEDDING_DIM = 128
NUM_LANDMARKS = 68
OUTER_EYE_CORNERS = (36, 45)
SSIM_WINDOW = 11


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


def _ssim(a: torch.Tensor, b: torch.Tensor) -> np.ndarray:
    """Mean SSIM per image of two (B, C, H, W) batches in [0, 1], over full windows only (as Wang et al.)."""
    return ssim(a, b, SSIM_WINDOW, max_val=1.0, padding="valid").mean(dim=(1, 2, 3)).numpy().astype(np.float64)


def _mse(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return ((a - b) ** 2).mean(-1)


def pixel_scores(a: torch.Tensor, b: torch.Tensor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cosine and MSE of the flattened frames, and their SSIM, for two (B, 3, H, W) batches in [0, 1]."""
    flat_a, flat_b = a.flatten(1).double().numpy(), b.flatten(1).double().numpy()
    return cosine_rows(flat_a, flat_b), _mse(flat_a, flat_b), _ssim(a, b)


def downsample(frames: torch.Tensor, size: tuple[int, int]) -> np.ndarray:
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
        return downsample(frames, self.size)

    def project(self, vectors: np.ndarray) -> np.ndarray:
        return (vectors - self.mean) @ self.components.T

    def rebuild(self, coefficients: np.ndarray) -> torch.Tensor:
        """Images (B, 3, h, w) in [0, 1] from their coefficients."""
        flat = self.mean + coefficients @ self.components
        return torch.from_numpy(flat).float().reshape(len(flat), 3, self.size[1], self.size[0]).clamp(0, 1)


def pca_basis(samples: np.ndarray, size: tuple[int, int], components: int) -> PCABasis:
    """PCA (exact SVD) of (N, D) frame vectors at (width, height) `size`; keeps at most `components` with non-zero
    variance."""
    mean = samples.mean(0)
    _, singular, rows = np.linalg.svd(samples - mean, full_matrices=False)
    keep = min(components, int((singular > singular[0] * 1e-6).sum()) if singular[0] > 0 else 0)
    return PCABasis(size, mean, rows[:keep])


def pca_scores(basis: PCABasis, a: torch.Tensor, b: torch.Tensor) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cosine of two frame batches' PCA coefficients; MSE and SSIM of the frames rebuilt from them (the MSE per
    pixel, i.e. the squared coefficient distance over D: the basis is orthonormal)."""
    coef_a, coef_b = basis.project(basis.flatten(a)), basis.project(basis.flatten(b))
    mse = ((coef_a - coef_b) ** 2).sum(-1) / basis.mean.size
    return cosine_rows(coef_a, coef_b), mse, _ssim(basis.rebuild(coef_a), basis.rebuild(coef_b))


def _common(a: FaceTrack, b: FaceTrack, field: str) -> tuple[np.ndarray, np.ndarray]:
    """The same per-frame field of two tracks, truncated to the shorter (the caller warned about lengths)."""
    count = min(len(a.embeddings), len(b.embeddings))
    return getattr(a, field)[:count], getattr(b, field)[:count]


def embedding_similarity(a: FaceTrack, b: FaceTrack) -> Similarity:
    """Cosine and MSE of the two videos' face embeddings frame by frame (NaN where either has no face)."""
    emb_a, emb_b = _common(a, b, "embeddings")
    return Similarity("face", cosine_rows(emb_a, emb_b), _mse(emb_a, emb_b), np.full(len(emb_a), np.nan))


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


def face_regions(track: FaceTrack, margin: float = 0.0) -> list[np.ndarray | None]:
    """The face polygon of every frame of a track as an (H, W) bool mask (None where no face was found), grown by
    `margin` x the face's width (at least one pixel) when `margin` > 0."""
    regions = []
    for points in track.landmarks:
        if np.isnan(points).any():
            regions.append(None)
            continue
        face = segmentation_masks(points, (track.height, track.width))[FACE] > 0.5
        if margin > 0:
            grow = 2 * max(1, int(margin * np.ptp(points[:, 0]))) + 1
            face = cv2.dilate(face.astype(np.uint8), np.ones((grow, grow), np.uint8)) > 0
        regions.append(face)
    return regions

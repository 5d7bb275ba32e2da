"""Video similarity of two files (`metrics.video_similarity` measures on their decoded frames) and face tracks
(dlib: landmarks, 128-d embedding and head pose of the main face of every frame).

Videos are decoded frame by frame, `_BATCH` frames at a time; PCA reads them twice (fit on a strided sample,
then project every frame).
"""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import torch

from fakevideo.metrics.video_similarity import (
    EMBEDDING_DIM,
    NUM_LANDMARKS,
    FaceTrack,
    PCABasis,
    Similarity,
    downsample,
    embedding_similarity,
    pca_basis,
    pca_scores,
    pixel_scores,
)
from fakevideo.video.faces import FaceDetector, face_embedding, make_detector
from fakevideo.video.io import iter_frames, read_video_info
from fakevideo.video.pose import head_pose

_BATCH = 16


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


def _similarity(feature: str, scores: Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> Similarity:
    """One Similarity from per-batch (cosine, mse, ssim) scores."""
    return Similarity(feature, *(np.concatenate(v) for v in zip(*scores, strict=True)))


def pixel_similarity(path_a: str | Path, path_b: str | Path) -> Similarity:
    """Cosine and MSE of the flattened RGB frames in [0, 1], and their SSIM."""
    return _similarity("pixels", (pixel_scores(a, b) for a, b in _batches(frame_pairs(path_a, path_b))))


def fit_pca(
    path_a: str | Path, path_b: str | Path, components: int = 16, size: int = 64, max_fit_frames: int = 256
) -> PCABasis:
    """PCA of both videos' frames resized to `size` px on the longer side, fitted on at most `max_fit_frames`
    evenly strided frames of each; keeps at most `components` with non-zero variance."""
    info = read_video_info(path_a)
    scale = size / max(info.width, info.height)
    shape = (max(1, round(info.width * scale)), max(1, round(info.height * scale)))
    num_frames = min(info.num_frames, read_video_info(path_b).num_frames)
    stride = -(-num_frames // max_fit_frames)
    samples_a, samples_b = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the caller already warned about differing lengths
        for a, b in _batches(itertools.islice(frame_pairs(path_a, path_b), 0, None, stride)):
            samples_a.append(downsample(a, shape))
            samples_b.append(downsample(b, shape))
    return pca_basis(np.concatenate(samples_a + samples_b), shape, components)


def pca_similarity(path_a: str | Path, path_b: str | Path, basis: PCABasis | None = None) -> Similarity:
    """PCA-coefficient similarity of two videos (`metrics.video_similarity.pca_scores`), on a basis fitted on the
    pair unless given."""
    basis = basis or fit_pca(path_a, path_b)
    return _similarity("pca", (pca_scores(basis, a, b) for a, b in _batches(frame_pairs(path_a, path_b))))


def face_track(path: str | Path, detector: FaceDetector | None = None, landmarks_only: bool = False) -> FaceTrack:
    """Detect the main face of every frame and record its landmarks, 128-d dlib embedding and head pose
    (`landmarks_only`: embeddings and poses left NaN, which saves most of the time when only mouths and face regions
    are needed)."""
    path = Path(path)
    detector = detector or make_detector("dlib")
    info = read_video_info(path)
    landmarks, embeddings, poses = [], [], []
    for frame in iter_frames(path):
        faces = detector.detect(frame)
        face = max(faces, key=lambda f: f.score) if faces else None
        landmarks.append(face.landmarks68 if face else np.full((NUM_LANDMARKS, 2), np.nan))
        measured = face is not None and not landmarks_only
        embeddings.append(face_embedding(frame, face) if measured else np.full(EMBEDDING_DIM, np.nan))
        poses.append(head_pose(face.landmarks68, frame.shape[1], frame.shape[0]) if measured else np.full(3, np.nan))
    return FaceTrack(path, info.width, info.height, np.array(landmarks), np.array(embeddings), np.array(poses))


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

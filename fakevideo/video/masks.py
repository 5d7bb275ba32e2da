"""Face / hair / background masks from 68 landmarks, and soft eroded masks for blending and completion.

The face region is the jaw line closed by the eyebrows lifted into the forehead; hair is a band above it.
A stand-in for FSGAN's segmentation network where none is trained yet, and its training target bootstrap.
"""

from __future__ import annotations

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from kornia.filters import gaussian_blur2d

FACE, HAIR, BACKGROUND = 0, 1, 2
JAW = slice(0, 17)
BROWS = slice(17, 27)
CHIN = 8
_SUBPIXEL_BITS = 4


def _fill(polygon: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    mask = np.zeros(size, np.uint8)
    hull = cv2.convexHull(np.round(polygon * (1 << _SUBPIXEL_BITS)).astype(np.int32))
    cv2.fillConvexPoly(mask, hull, 1, lineType=cv2.LINE_8, shift=_SUBPIXEL_BITS)
    return mask.astype(bool)


def forehead_points(landmarks: np.ndarray, lift: float = 0.5) -> tuple[np.ndarray, float, np.ndarray]:
    """Eyebrow points moved up by `lift` x brow-to-chin distance along the face's own up direction.

    Returns the points, the brow-to-chin distance and the unit up vector (so rolled heads get rolled regions).
    """
    brows = landmarks[BROWS]
    up = brows.mean(0) - landmarks[CHIN]
    brow_to_chin = float(np.linalg.norm(up))
    assert brow_to_chin > 0, "degenerate landmarks"
    up = up / brow_to_chin
    return brows + lift * brow_to_chin * up, brow_to_chin, up


def segmentation_masks(
    landmarks: np.ndarray, size: tuple[int, int], forehead: float = 0.5, hair: float = 0.35
) -> np.ndarray:
    """(3, H, W) float32 one-hot face/hair/background masks for (68, 2) landmarks in an H x W image.

    `forehead` and `hair` are heights as fractions of the brow-to-chin distance, measured along the face's
    own up direction so that rolled heads get rolled masks.
    """
    lifted, brow_to_chin, up = forehead_points(landmarks, forehead)
    face = _fill(np.concatenate([landmarks[JAW], lifted]), size)
    crown = lifted + hair * brow_to_chin * up
    crown = crown.mean(0) + 1.3 * (crown - crown.mean(0))
    temples = landmarks[[0, 16]]
    temples = temples.mean(0) + 1.15 * (temples - temples.mean(0))
    hair_mask = _fill(np.concatenate([temples, lifted, crown]), size) & ~face
    background = ~(face | hair_mask)
    return np.stack([face, hair_mask, background]).astype(np.float32)


def soft_mask(mask: torch.Tensor, erosion_size: int = 15, blur_sigma: float = 5.0) -> torch.Tensor:
    """Erode a (B, 1, H, W) mask by an odd square then blur it, so pasted faces fade out inside the region's border.

    The erosion is a min-pool (max-pool of the negated mask; padding never wins), by rows then by columns: what
    kornia's `erosion` computes for a flat square, 100x faster on CPU, where kornia's took three quarters of a warp
    swap's time."""
    assert erosion_size % 2 == 1, erosion_size
    size, pad = erosion_size, erosion_size // 2
    rows = F.max_pool2d(-mask, (1, size), stride=1, padding=(0, pad))
    eroded = -F.max_pool2d(rows, (size, 1), stride=1, padding=(pad, 0))
    kernel = 2 * int(np.ceil(3 * blur_sigma)) + 1
    return gaussian_blur2d(eroded, (kernel, kernel), (blur_sigma, blur_sigma)).clamp(0, 1)


def paste_masks(masks: torch.Tensor, erosion: float, blur: float) -> torch.Tensor:
    """Soft paste-back masks of (B, 1, S, S) face masks: eroded by `erosion` and blurred by `blur` (fractions of
    the crop side), so a swapped face fades out inside its region's border."""
    size = masks.shape[-1]
    erosion_px = max(1, round(erosion * size)) | 1  # odd, so the kernel has a centre
    return soft_mask(masks, erosion_px, max(blur * size, 0.5))

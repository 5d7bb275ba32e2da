"""Square face crops as 3x3 similarity transforms (frame -> crop pixels), warped with kornia; paste-back."""

from __future__ import annotations

import numpy as np
import torch
from kornia.geometry.transform import crop_by_transform_mat, warp_affine

from fakevideo.video.masks import forehead_points

CROP_SIZE = 256
CROP_SCALE = 1.2


def face_box(box: np.ndarray, landmarks: np.ndarray) -> np.ndarray:
    """Box around the detection, the 68 landmarks and the forehead above the brows.

    Detector boxes differ (dlib's HOG box cuts the chin and forehead); this makes crops backend-independent.
    """
    points = np.concatenate([landmarks, forehead_points(landmarks)[0], np.reshape(box, (2, 2))])
    return np.concatenate([points.min(0), points.max(0)])


def crop_transform(box: np.ndarray, size: int = CROP_SIZE, scale: float = CROP_SCALE) -> np.ndarray:
    """Frame-to-crop transform: a `size` px square centred on the box, `scale` x its longer side wide."""
    x0, y0, x1, y1 = box
    side = scale * max(x1 - x0, y1 - y0)
    assert side > 0, box
    s = size / side
    centre = (size - 1) / 2
    return np.array(
        [[s, 0.0, centre - s * (x0 + x1 - 1) / 2], [0.0, s, centre - s * (y0 + y1 - 1) / 2], [0.0, 0.0, 1.0]]
    )


def transform_points(points: np.ndarray, transform: np.ndarray) -> np.ndarray:
    """Apply a 3x3 transform (affine or projective) to (..., 2) points."""
    homogeneous = points @ transform[:, :2].T + transform[:, 2]
    return homogeneous[..., :2] / homogeneous[..., 2:]


def _to_tensor(images: np.ndarray, device: torch.device | str = "cpu") -> torch.Tensor:
    """uint8 (N, H, W, 3) -> float (N, 3, H, W) on `device`, moved as uint8 (a quarter of the bytes of float)."""
    return torch.from_numpy(np.ascontiguousarray(images)).to(device).permute(0, 3, 1, 2).float()


def _to_uint8(images: torch.Tensor) -> np.ndarray:
    """float (N, 3, H, W) in 0-255 on any device -> uint8 (N, H, W, 3) on the host, moved as uint8."""
    return images.round().clamp(0, 255).to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def crop_frames(frames: np.ndarray, transforms: np.ndarray, size: int = CROP_SIZE) -> np.ndarray:
    """Crop uint8 (N, H, W, 3) frames with (N, 3, 3) transforms into (N, size, size, 3); outside is black."""
    mats = torch.from_numpy(np.asarray(transforms, dtype=np.float32))
    return _to_uint8(crop_by_transform_mat(_to_tensor(frames), mats, (size, size)))


def paste_back_batch(
    frames: np.ndarray, face_crops: torch.Tensor, transforms: np.ndarray, masks: torch.Tensor
) -> np.ndarray:
    """Blend (B, 3, S, S) crops (0-255, any device) into uint8 (B, H, W, 3) frames inside (B, 1, S, S) masks.

    `transforms` are the (B, 3, 3) frame-to-crop maps. Runs as one batched warp on the crops' device.
    """
    device = face_crops.device
    height, width = frames.shape[1:3]
    inverse = torch.from_numpy(np.linalg.inv(transforms)[:, :2].astype(np.float32)).to(device)
    alpha = masks.float()
    # Warp premultiplied colour with the mask, so the crop's edge fades instead of darkening.
    warped = warp_affine(torch.cat([face_crops.float() * alpha, alpha], 1), inverse, (height, width))
    blended = _to_tensor(frames, device) * (1 - warped[:, 3:]) + warped[:, :3]
    return _to_uint8(blended)


def paste_back(
    frame: np.ndarray, face_crop: np.ndarray, transform: np.ndarray, mask: np.ndarray
) -> np.ndarray:
    """Blend one uint8 (S, S, 3) crop into its (H, W, 3) frame where the (S, S) mask in [0, 1] says so."""
    mask = torch.from_numpy(np.asarray(mask, dtype=np.float32)[None, None])
    return paste_back_batch(frame[None], _to_tensor(face_crop[None]), transform[None], mask)[0]

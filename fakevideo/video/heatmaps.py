"""Landmark heatmaps (one Gaussian channel per landmark, the reenactment generator's pose input)."""

from __future__ import annotations

import torch
from kornia.geometry.subpix import render_gaussian2d, spatial_expectation2d


def landmark_heatmaps(landmarks: torch.Tensor, size: tuple[int, int], sigma: float = 2.0) -> torch.Tensor:
    """(B, K, 2) pixel (x, y) landmarks -> (B, K, H, W) Gaussians peaking at 1; off-image landmarks give 0."""
    height, width = size
    std = torch.full_like(landmarks, sigma)
    maps = render_gaussian2d(landmarks, std, size, normalized_coordinates=False)
    maps = maps / maps.amax(dim=(-2, -1), keepdim=True)
    x, y = landmarks[..., 0], landmarks[..., 1]
    inside = (x >= 0) & (x <= width - 1) & (y >= 0) & (y <= height - 1)
    return maps * inside[..., None, None]


def heatmap_centres(heatmaps: torch.Tensor) -> torch.Tensor:
    """(B, K, H, W) heatmaps -> (B, K, 2) pixel (x, y) centres of mass, the inverse of landmark_heatmaps."""
    mass = heatmaps / heatmaps.sum(dim=(-2, -1), keepdim=True).clamp_min(1e-12)
    return spatial_expectation2d(mass, normalized_coordinates=False)


def landmark_disks(landmarks: torch.Tensor, size: int, threshold: float = 0.8) -> torch.Tensor:
    """(B, K, 2) landmarks in [0, 1] image coordinates (pixel i spans [i, i+1] / size) -> (B, K, size, size) cones
    peaking at 1: FSGAN v2's heatmaps, ((1 - d / sqrt 2) ** 8 - threshold) / (1 - threshold) clipped at 0 for a
    distance d in those coordinates (radius about 0.039 of the side at the default threshold)."""
    centres = (torch.arange(size, dtype=landmarks.dtype, device=landmarks.device) + 0.5) / size
    dx = centres.view(1, 1, 1, size) - landmarks[..., 0, None, None]
    dy = centres.view(1, 1, size, 1) - landmarks[..., 1, None, None]
    max_distance = 2**0.5
    cone = ((max_distance - torch.sqrt(dx**2 + dy**2)) / max_distance) ** 8
    return ((cone - threshold) / (1 - threshold)).clamp_min(0)

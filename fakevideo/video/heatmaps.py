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

"""Precision, recall, density and coverage (Naeem et al., 2020) of generated samples against real ones.

Each real sample gets a k-NN ball (radius: distance to its k-th nearest real neighbour). Precision is the share of
fakes inside some real ball; recall the share of reals inside some fake ball (fake radii likewise); density
counts, per fake, the real balls containing it, divided by k (it can exceed 1); coverage is the share of real
balls that contain at least one fake.
"""

from __future__ import annotations

import numpy as np
import torch


def _kth_neighbour_radius(x: torch.Tensor, k: int) -> torch.Tensor:
    distances = torch.cdist(x, x)
    return distances.kthvalue(k + 1, dim=1).values  # +1: each point is its own nearest neighbour


def prdc(real: np.ndarray, fake: np.ndarray, k: int = 5) -> dict[str, float]:
    """PRDC between real [N, D] and fake [M, D] embeddings."""
    assert len(real) > k and len(fake) > k, f"need more than k={k} samples on each side"
    real_t, fake_t = torch.as_tensor(real, dtype=torch.float64), torch.as_tensor(fake, dtype=torch.float64)
    real_radius, fake_radius = _kth_neighbour_radius(real_t, k), _kth_neighbour_radius(fake_t, k)
    real_to_fake = torch.cdist(real_t, fake_t)  # [N, M]
    inside_real_balls = real_to_fake < real_radius[:, None]
    return {
        "precision": float(inside_real_balls.any(dim=0).double().mean()),
        "recall": float((real_to_fake < fake_radius[None, :]).any(dim=1).double().mean()),
        "density": float(inside_real_balls.double().sum(dim=0).mean() / k),
        "coverage": float((real_to_fake.min(dim=1).values < real_radius).double().mean()),
    }

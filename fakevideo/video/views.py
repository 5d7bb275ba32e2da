"""Choosing source views by head pose (FSGAN): Delaunay triangulation of the source frames' (yaw, pitch),
barycentric weights of the enclosing triangle for a target pose, the nearest view outside the hull."""

from __future__ import annotations

import numpy as np
from scipy.spatial import Delaunay, QhullError


class ViewSelector:
    """Maps a target (yaw, pitch) to up to three source views and their blending weights (summing to 1)."""

    def __init__(self, poses: np.ndarray):
        """`poses`: (M, 2) source (yaw, pitch) in degrees, one row per source view (M >= 1)."""
        self.poses = np.asarray(poses, dtype=np.float64).reshape(-1, 2)
        assert len(self.poses) >= 1, "a source needs at least one view"
        self.triangulation: Delaunay | None = None
        if len(self.poses) >= 3:
            try:
                self.triangulation = Delaunay(self.poses)
            except QhullError:  # all views on one line (or one point): no triangle to interpolate in
                self.triangulation = None

    def select(self, pose: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(view indices, weights) for one target (yaw, pitch): the enclosing triangle's corners with
        barycentric weights, else the single nearest view with weight 1."""
        point = np.asarray(pose, dtype=np.float64)[:2]
        if self.triangulation is not None:
            simplex = int(self.triangulation.find_simplex(point))
            if simplex >= 0:
                transform = self.triangulation.transform[simplex]
                partial = transform[:2] @ (point - transform[2])
                weights = np.append(partial, 1 - partial.sum()).clip(0, 1)
                return self.triangulation.simplices[simplex].copy(), weights / weights.sum()
        nearest = int(np.argmin(np.linalg.norm(self.poses - point, axis=1)))
        return np.array([nearest]), np.ones(1)

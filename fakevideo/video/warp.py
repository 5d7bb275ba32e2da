"""Training-free face swap on one crop: the graphics "FaceSwap" baseline of FaceForensics++.

The source face is warped onto the target's 68 landmarks (plus points lifted into the forehead) piecewise-affinely
over a Delaunay triangulation of the source's points (`cv2.Subdiv2D`; one affine map per triangle from
`cv2.getAffineTransform`, applied in one `cv2.remap`, so neighbouring triangles meet without seams). Its colour is
matched to the target's face (mean and standard deviation per Lab channel inside the face), the target's mouth
interior is kept (a closed source mouth has no teeth to show), and the result is Poisson-blended into the target
crop (`cv2.seamlessClone`). Identity comes from the source's pixels; pose and expression from the target's
landmarks. Images are uint8 RGB (S, S, 3) crops, landmarks (68, 2) crop pixels.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from fakevideo.errors import ConfigError
from fakevideo.video.masks import FACE, forehead_points, segmentation_masks

INNER_MOUTH = slice(60, 68)


@dataclass(frozen=True)
class WarpSettings:
    """`forehead`: how far above the brows the swapped region reaches (fraction of the brow-to-chin distance);
    `colour`: match the target's Lab mean/std; `mouth`: keep the target's mouth interior."""

    forehead: float = 0.2
    colour: bool = True
    mouth: bool = True

    def __post_init__(self):
        if not 0 <= self.forehead <= 0.5:
            raise ConfigError(f"warp.forehead={self.forehead}: must be in [0, 0.5] (fraction of brow-to-chin)")


def control_points(landmarks: np.ndarray, forehead: float) -> np.ndarray:
    """The 68 landmarks and the 10 brow points lifted `forehead` x brow-to-chin along the face's up direction."""
    return np.concatenate([landmarks, forehead_points(landmarks, forehead)[0]])


def delaunay(points: np.ndarray, size: int) -> np.ndarray:
    """(K, 3) vertex indices of the Delaunay triangles of (N, 2) points inside a `size` px image."""
    lo = np.floor(points.min(0)) - 1
    hi = np.ceil(points.max(0)) + 2
    subdiv = cv2.Subdiv2D((int(lo[0]), int(lo[1]), int(hi[0] - lo[0]), int(hi[1] - lo[1])))
    subdiv.insert([(float(x), float(y)) for x, y in points])
    corners = subdiv.getTriangleList().reshape(-1, 3, 2)
    # Subdiv2D returns coordinates; map them back to indices (its outer virtual vertices match no point).
    distance = np.linalg.norm(corners[:, :, None] - points[None, None].astype(np.float32), axis=-1)
    index, gap = distance.argmin(-1), distance.min(-1)
    return index[(gap < 1e-3).all(1)]


def piecewise_affine(image: np.ndarray, source_points: np.ndarray, target_points: np.ndarray,
                     triangles: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`image` warped so `source_points` land on `target_points`; also the bool mask the triangles cover."""
    height, width = image.shape[:2]
    owner = np.full((height, width), -1, np.int32)
    inverse = np.empty((len(triangles) + 1, 2, 3), np.float32)
    inverse[-1] = [[0, 0, -1], [0, 0, -1]]  # uncovered pixels (owner -1) read outside the image
    for k, triangle in enumerate(triangles):
        target = target_points[triangle].astype(np.float32)
        inverse[k] = cv2.getAffineTransform(target, source_points[triangle].astype(np.float32))
        cv2.fillConvexPoly(owner, np.round(target).astype(np.int32), k)
    maps = inverse[owner]  # (H, W, 2, 3): each pixel's target-to-source affine map
    ys, xs = np.mgrid[:height, :width].astype(np.float32)
    map_x = maps[..., 0, 0] * xs + maps[..., 0, 1] * ys + maps[..., 0, 2]
    map_y = maps[..., 1, 0] * xs + maps[..., 1, 1] * ys + maps[..., 1, 2]
    warped = cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    return warped, owner >= 0


def match_colour(image: np.ndarray, reference: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """`image` with each Lab channel's mean and standard deviation inside `mask` set to `reference`'s."""
    lab, ref = cv2.cvtColor(image, cv2.COLOR_RGB2LAB), cv2.cvtColor(reference, cv2.COLOR_RGB2LAB)
    inside = mask.astype(np.uint8)
    (mean, std), (ref_mean, ref_std) = (cv2.meanStdDev(x, mask=inside) for x in (lab, ref))
    gain = (ref_std / np.maximum(std, 1e-3)).ravel()
    matched = (lab.astype(np.float32) - mean.ravel()) * gain + ref_mean.ravel()
    return cv2.cvtColor(np.clip(matched + 0.5, 0, 255).astype(np.uint8), cv2.COLOR_LAB2RGB)


def face_region(landmarks: np.ndarray, size: int, forehead: float) -> np.ndarray:
    """Bool (S, S) mask of the swapped region: jaw line closed by the brows lifted `forehead` into the forehead."""
    return segmentation_masks(landmarks, (size, size), forehead=forehead)[FACE] > 0


def inner_mouth(landmarks: np.ndarray, size: int) -> np.ndarray:
    """Bool (S, S) mask inside the inner lip contour (empty when the mouth is closed)."""
    mask = np.zeros((size, size), np.uint8)
    cv2.fillPoly(mask, [np.round(landmarks[INNER_MOUTH]).astype(np.int32)], 1)
    return mask.astype(bool)


def seamless_paste(face: np.ndarray, target: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Poisson (gradient-domain) blend of `face` into `target` inside `mask`, pixel-aligned; `target` outside."""
    x, y, w, h = cv2.boundingRect(mask.astype(np.uint8))
    # seamlessClone places the mask's bounding box at `centre` - (w // 2, h // 2): this centre keeps it in place.
    cloned = cv2.seamlessClone(face, target, mask.astype(np.uint8) * 255, (x + w // 2, y + h // 2), cv2.NORMAL_CLONE)
    # It solves over the whole bounding box, which moves pixels outside the mask a little too: keep the target's.
    return np.where(mask[..., None], cloned, target)


def warp_swap(source: np.ndarray, source_landmarks: np.ndarray, target: np.ndarray, target_landmarks: np.ndarray,
              settings: WarpSettings = WarpSettings(), triangles: np.ndarray | None = None
              ) -> tuple[np.ndarray, np.ndarray]:
    """The target crop with the source's face (uint8 (S, S, 3)) and the bool face mask it was blended inside.

    `triangles` (from `delaunay` on the source's control points) may be passed to reuse them across frames."""
    size = target.shape[0]
    source_points = control_points(source_landmarks, settings.forehead)
    target_points = control_points(target_landmarks, settings.forehead)
    if triangles is None:
        triangles = delaunay(source_points, size)
    warped, covered = piecewise_affine(source, source_points, target_points, triangles)
    # One pixel inside the warped area, so the blend never reads the remap's border.
    mask = face_region(target_landmarks, size, settings.forehead) & (cv2.erode(covered.astype(np.uint8), None) > 0)
    if settings.colour:
        warped = match_colour(warped, target, mask)
    if settings.mouth:
        mouth = inner_mouth(target_landmarks, size)
        warped[mouth] = target[mouth]
    return seamless_paste(warped, target, mask), mask

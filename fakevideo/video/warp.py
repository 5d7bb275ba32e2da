"""Training-free face swap on one crop: the graphics "FaceSwap" baseline of FaceForensics++.

The source face is warped onto the target's 68 landmarks (plus points lifted into the forehead) piecewise-affinely
over a Delaunay triangulation of the source's points (`cv2.Subdiv2D`; one affine map per triangle from
`cv2.getAffineTransform`, applied in one `cv2.remap`, so neighbouring triangles meet without seams). Its colour is
matched to the target's face (mean and standard deviation per Lab channel inside the face), the target's mouth
interior is kept (a closed source mouth has no teeth to show), and the result is Poisson-blended into the target
crop (`cv2.seamlessClone`). Identity comes from the source's pixels; pose and expression from the target's
landmarks. Images are uint8 RGB (S, S, 3) crops, landmarks (68, 2) crop pixels. When FSGAN's completion and
blending stages follow the warp (fakevideo.pipelines.warp_model), the warped face is left unblended.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from fakevideo.errors import ConfigError
from fakevideo.video.masks import FACE, forehead_points, segmentation_masks

INNER_MOUTH = slice(60, 68)
_MARGIN = 4  # px around the face: the Poisson blend needs target pixels on its boundary


@dataclass(frozen=True)
class WarpSettings:
    """`forehead`: how far above the brows the swapped region reaches (fraction of the brow-to-chin distance);
    `colour`: match the target's Lab mean/std; `mouth`: keep the target's mouth interior; `blend_scale`: the
    resolution, as a fraction, at which the Poisson blend's correction is solved (it is smooth inside the face)."""

    forehead: float = 0.2
    colour: bool = True
    mouth: bool = True
    blend_scale: float = 0.5

    def __post_init__(self):
        if not 0 <= self.forehead <= 0.5:
            raise ConfigError(f"warp.forehead={self.forehead}: must be in [0, 0.5] (fraction of brow-to-chin)")
        if not 0.1 <= self.blend_scale <= 1:
            raise ConfigError(f"warp.blend_scale={self.blend_scale}: must be in [0.1, 1]")


def control_points(landmarks: np.ndarray, forehead: float) -> np.ndarray:
    """The 68 landmarks and the 10 brow points lifted `forehead` x brow-to-chin along the face's up direction."""
    return np.concatenate([landmarks, forehead_points(landmarks, forehead)[0]])


def delaunay(points: np.ndarray) -> np.ndarray:
    """(K, 3) vertex indices of the Delaunay triangles of (N, 2) points."""
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
                     triangles: np.ndarray, shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """`image` warped into an (H, W) `shape` so `source_points` land on `target_points`; also the bool mask the
    triangles cover."""
    owner = np.full(shape, -1, np.int32)
    inverse = np.empty((len(triangles) + 1, 2, 3), np.float32)
    inverse[-1] = [[0, 0, -1], [0, 0, -1]]  # uncovered pixels (owner -1) read outside the image
    for k, triangle in enumerate(triangles):
        target = target_points[triangle].astype(np.float32)
        inverse[k] = cv2.getAffineTransform(target, source_points[triangle].astype(np.float32))
        cv2.fillConvexPoly(owner, np.round(target).astype(np.int32), k)
    maps = inverse[owner]  # (H, W, 2, 3): each pixel's target-to-source affine map
    ys, xs = np.mgrid[:shape[0], :shape[1]].astype(np.float32)
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


def face_region(landmarks: np.ndarray, shape: tuple[int, int], forehead: float) -> np.ndarray:
    """Bool (H, W) mask of the swapped region: jaw line closed by the brows lifted `forehead` into the forehead."""
    return segmentation_masks(landmarks, shape, forehead=forehead)[FACE] > 0


def inner_mouth(landmarks: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Bool (H, W) mask inside the inner lip contour (empty when the mouth is closed)."""
    mask = np.zeros(shape, np.uint8)
    cv2.fillPoly(mask, [np.round(landmarks[INNER_MOUTH]).astype(np.int32)], 1)
    return mask.astype(bool)


def seamless_paste(face: np.ndarray, target: np.ndarray, mask: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """Poisson (gradient-domain) blend of `face` into `target` inside `mask`, pixel-aligned; `target` outside.

    The blend is `face` plus a membrane, the smooth field that takes the edge from face to target colours. Below
    `scale` 1 that membrane is solved on images resized by `scale` and added back at full size: OpenCV's solver
    costs about as many times less as there are fewer pixels, and the face keeps all of its detail."""
    if scale >= 1:
        x, y, w, h = cv2.boundingRect(mask.astype(np.uint8))
        # seamlessClone puts the mask's bounding box at `centre` - (w // 2, h // 2): this centre keeps it in place.
        cloned = cv2.seamlessClone(face, target, mask.astype(np.uint8) * 255, (x + w // 2, y + h // 2),
                                   cv2.NORMAL_CLONE)
    else:
        height, width = mask.shape
        small = (max(1, round(width * scale)), max(1, round(height * scale)))
        shrink = lambda x: cv2.resize(x, small, interpolation=cv2.INTER_AREA)  # noqa: E731
        small_mask = cv2.resize(mask.astype(np.uint8), small, interpolation=cv2.INTER_NEAREST) > 0
        small_face = shrink(np.where(mask[..., None], face, target))  # no stray face pixels at the edge
        membrane = seamless_paste(small_face, shrink(target), small_mask).astype(np.float32) - small_face
        membrane = cv2.resize(membrane, (width, height), interpolation=cv2.INTER_LINEAR)
        cloned = np.clip(face + membrane + 0.5, 0, 255).astype(np.uint8)
    # The solver works on the whole bounding box and moves pixels outside the mask a little too: keep the target's.
    return np.where(mask[..., None], cloned, target)


def seamless_paste_region(face: np.ndarray, target: np.ndarray, mask: np.ndarray, scale: float = 1.0) -> np.ndarray:
    """`seamless_paste` of whole images, solved in the box around `mask` (plus the blend's boundary margin)."""
    ys, xs = np.nonzero(mask)
    if not len(xs):
        return target.copy()
    (x0, y0), (x1, y1) = _box(np.stack([xs, ys], axis=1), target.shape[:2], margin=_MARGIN)
    pasted = target.copy()
    pasted[y0:y1, x0:x1] = seamless_paste(face[y0:y1, x0:x1], target[y0:y1, x0:x1], mask[y0:y1, x0:x1], scale)
    return pasted


def warp_swap(source: np.ndarray, source_landmarks: np.ndarray, target: np.ndarray, target_landmarks: np.ndarray,
              settings: WarpSettings = WarpSettings(), triangles: np.ndarray | None = None, blend: bool = True
              ) -> tuple[np.ndarray, np.ndarray]:
    """The target image with the source's face (uint8 (H, W, 3)) and the bool face mask it was blended inside;
    with `blend` False the face is copied in unblended, for a learned blend to take over.

    All work happens in the box around the target face (plus a margin for the blend's boundary). `triangles`
    (from `delaunay` on the source's control points) may be passed to reuse them across frames."""
    source_points = control_points(source_landmarks, settings.forehead)
    target_points = control_points(target_landmarks, settings.forehead)
    if triangles is None:
        triangles = delaunay(source_points)
    (x0, y0), (x1, y1) = _box(target_points, target.shape[:2], margin=_MARGIN)
    roi, offset = target[y0:y1, x0:x1], np.array([x0, y0])
    warped, covered = piecewise_affine(source, source_points, target_points - offset, triangles, roi.shape[:2])
    # One pixel inside the warped area, so the blend never reads the remap's border.
    mask = face_region(target_landmarks - offset, roi.shape[:2], settings.forehead)
    mask &= cv2.erode(covered.astype(np.uint8), None) > 0
    if settings.colour:
        warped = match_colour(warped, roi, mask)
    if settings.mouth:
        mouth = inner_mouth(target_landmarks - offset, roi.shape[:2])
        warped[mouth] = roi[mouth]
    swapped, full_mask = target.copy(), np.zeros(target.shape[:2], bool)
    swapped[y0:y1, x0:x1] = (seamless_paste(warped, roi, mask, settings.blend_scale) if blend
                             else np.where(mask[..., None], warped, roi))
    full_mask[y0:y1, x0:x1] = mask
    return swapped, full_mask


def _box(points: np.ndarray, shape: tuple[int, int], margin: int) -> tuple[np.ndarray, np.ndarray]:
    """Integer corners (x0, y0), (x1, y1) of the points' box grown by `margin`, clipped to an (H, W) image."""
    lo = np.maximum(np.floor(points.min(0)).astype(int) - margin, 0)
    hi = np.minimum(np.ceil(points.max(0)).astype(int) + margin + 1, [shape[1], shape[0]])
    return lo, hi

"""98 WFLW landmarks from the 68 (iBUG 300-W / dlib) this project detects.

FSGAN's published reenactment generator was trained on 98-point WFLW landmarks (its HRNet landmark model).
51 of the 68 points have a WFLW twin (jaw every other contour point, upper brows, nose, four of six eye points,
the 20 mouth points); the other 47 are made here: the odd contour points as midpoints of their neighbours, the
mid-lid points as midpoints of the lid's two points, the pupils as eye centres, and the lower brow edges as the
upper edge moved a quarter of the way towards the eye centre. The made points are approximations (the published
model renders every point as a disk about 4 % of the crop wide, which hides small offsets); the 51 twins are exact.
"""

from __future__ import annotations

import torch

#: WFLW index -> 68-point index for the points both schemes have
TWINS: dict[int, int] = {
    **{2 * i: i for i in range(17)},                                       # jaw: every other contour point
    **{33 + i: 17 + i for i in range(5)}, **{42 + i: 22 + i for i in range(5)},  # upper brow edges
    **{51 + i: 27 + i for i in range(9)},                                  # nose bridge and base
    60: 36, 61: 37, 63: 38, 64: 39, 65: 40, 67: 41,                        # left eye (image left)
    68: 42, 69: 43, 71: 44, 72: 45, 73: 46, 75: 47,                        # right eye
    **{76 + i: 48 + i for i in range(20)},                                 # mouth
}
#: WFLW index -> the two WFLW indices it lies halfway between
MIDPOINTS: dict[int, tuple[int, int]] = {**{2 * i + 1: (2 * i, 2 * i + 2) for i in range(16)},
                                         62: (61, 63), 66: (65, 67), 70: (69, 71), 74: (73, 75)}
#: lower brow edge point -> (upper edge point above it, pupil)
LOWER_BROW: dict[int, tuple[int, int]] = {38: (37, 96), 39: (36, 96), 40: (35, 96), 41: (34, 96),
                                          47: (46, 97), 48: (45, 97), 49: (44, 97), 50: (43, 97)}
PUPILS = {96: (60, 61, 63, 64, 65, 67), 97: (68, 69, 71, 72, 73, 75)}  # centre of the six 68-point eye points
BROW_DROP = 0.25  # fraction of the way from the upper brow edge to the pupil


def wflw_from_68(points: torch.Tensor) -> torch.Tensor:
    """(..., 68, 2) landmarks -> (..., 98, 2) in WFLW order (see module doc), same coordinates."""
    out = points.new_zeros(*points.shape[:-2], 98, 2)
    wflw, ibug = zip(*TWINS.items(), strict=True)
    out[..., list(wflw), :] = points[..., list(ibug), :]
    for index, (a, b) in MIDPOINTS.items():
        out[..., index, :] = (out[..., a, :] + out[..., b, :]) / 2
    for index, eye in PUPILS.items():
        out[..., index, :] = out[..., list(eye), :].mean(dim=-2)
    for index, (upper, pupil) in LOWER_BROW.items():
        out[..., index, :] = torch.lerp(out[..., upper, :], out[..., pupil, :], BROW_DROP)
    return out

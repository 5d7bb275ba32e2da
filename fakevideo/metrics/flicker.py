"""Temporal flicker of a swapped face: how much more the face region changes from frame to frame than the target's
own does in the same region (the target's motion and lighting cancel out); 0 for a perfectly stable swap."""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np


def frame_changes(frames: Iterable[np.ndarray], regions: Iterable[np.ndarray | None]) -> np.ndarray:
    """(T-1,) mean absolute change in grey levels from frame t-1 to frame t inside region t (H x W bool; None or
    empty: NaN); T is the shorter of the two sequences."""
    changes, previous = [], None
    for frame, region in zip(frames, regions, strict=False):
        frame = frame.astype(np.float32)
        if previous is not None:
            inside = region is not None and region.any()
            changes.append(float(np.abs(frame - previous).mean(-1)[region].mean()) if inside else np.nan)
        previous = frame
    return np.array(changes)


def flicker(output_changes: np.ndarray, target_changes: np.ndarray) -> np.ndarray:
    """Per-frame flicker: the output's change in the face region minus the target's change there (over the frames
    both have)."""
    length = min(len(output_changes), len(target_changes))
    return output_changes[:length] - target_changes[:length]

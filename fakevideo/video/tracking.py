"""Link per-frame face detections into tracks by box overlap, pick the main one, smooth it over time."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.signal import savgol_filter

from fakevideo.video.faces import Face


@dataclass(frozen=True)
class FaceTrack:
    """One face through a video: frame indices (N,), boxes (N, 4), scores (N,), landmarks (N, 68, 2)."""

    frames: np.ndarray
    boxes: np.ndarray
    scores: np.ndarray
    landmarks: np.ndarray

    def __len__(self) -> int:
        return len(self.frames)


def box_iou(box: np.ndarray, boxes: np.ndarray) -> np.ndarray:
    """Intersection over union of one (x0, y0, x1, y1) box with each of (M, 4) boxes."""
    x0 = np.maximum(box[0], boxes[:, 0])
    y0 = np.maximum(box[1], boxes[:, 1])
    x1 = np.minimum(box[2], boxes[:, 2])
    y1 = np.minimum(box[3], boxes[:, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    area = (box[2] - box[0]) * (box[3] - box[1])
    areas = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return inter / np.maximum(area + areas - inter, 1e-9)


def link_tracks(
    detections: Sequence[Sequence[Face]], iou_threshold: float = 0.3, max_gap: int = 5
) -> list[FaceTrack]:
    """Greedy IoU linking: each detection joins the best-overlapping track seen within `max_gap` frames."""
    tracks: list[list[tuple[int, Face]]] = []
    for t, faces in enumerate(detections):
        open_tracks = [tr for tr in tracks if t - tr[-1][0] <= max_gap]
        pairs = []
        if faces:
            boxes = np.array([f.box for f in faces])
            for i, tr in enumerate(open_tracks):
                pairs.extend((iou, i, j) for j, iou in enumerate(box_iou(tr[-1][1].box, boxes)))
        pairs.sort(reverse=True)
        used_tracks, used_faces = set(), set()
        for iou, i, j in pairs:
            if iou >= iou_threshold and i not in used_tracks and j not in used_faces:
                open_tracks[i].append((t, faces[j]))
                used_tracks.add(i)
                used_faces.add(j)
        tracks.extend([(t, face)] for j, face in enumerate(faces) if j not in used_faces)
    return [
        FaceTrack(
            frames=np.array([t for t, _ in tr]),
            boxes=np.array([f.box for _, f in tr], dtype=np.float64),
            scores=np.array([f.score for _, f in tr], dtype=np.float64),
            landmarks=np.array([f.landmarks68 for _, f in tr], dtype=np.float64),
        )
        for tr in tracks
    ]


def main_track(tracks: Sequence[FaceTrack]) -> FaceTrack | None:
    """The track present in most frames (ties: higher total score); None when there is no track."""
    return max(tracks, key=lambda tr: (len(tr), tr.scores.sum()), default=None)


def smooth_track(track: FaceTrack, window: int = 7, order: int = 2) -> FaceTrack:
    """Savitzky-Golay smoothing of boxes and landmarks over each run of consecutive frames (de-jitter)."""
    boxes, landmarks = track.boxes.copy(), track.landmarks.copy()
    breaks = np.flatnonzero(np.diff(track.frames) != 1) + 1
    for run in np.split(np.arange(len(track)), breaks):
        width = min(window, len(run) - (1 - len(run) % 2))
        if width > order:
            boxes[run] = savgol_filter(track.boxes[run], width, order, axis=0)
            landmarks[run] = savgol_filter(track.landmarks[run], width, order, axis=0)
    return FaceTrack(frames=track.frames, boxes=boxes, scores=track.scores, landmarks=landmarks)


def missing_frames(track: FaceTrack, num_frames: int) -> np.ndarray:
    """Frame indices where the track has no face; these frames are passed through unchanged."""
    return np.setdiff1d(np.arange(num_frames), track.frames)

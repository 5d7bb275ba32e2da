"""Which face of a video to swap when it shows several people: `main` (the face present in most frames), `largest`
(the biggest mean box), a track index N (tracks numbered by first appearance, then left to right), or the path of a
reference photo (the track whose dlib identity embedding is nearest the photo's face)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from fakevideo.errors import ConfigError, InputError
from fakevideo.video.faces import Face, FaceDetector, face_embedding
from fakevideo.video.io import iter_frames
from fakevideo.video.tracking import FaceTrack, main_track

MAIN, LARGEST = "main", "largest"
SAMPLES_PER_TRACK = 3  # frames whose embeddings stand for a track's identity


def parse_face_choice(value: str | int | Path) -> str | int | Path:
    """`main`, `largest`, a track index (int) or an existing photo's Path; ConfigError naming `target_face`."""
    text = str(value)
    if text in (MAIN, LARGEST):
        return text
    if text.lstrip("-").isdigit():
        if int(text) < 0:
            raise ConfigError(f"target_face={text}: a track index counts from 0")
        return int(text)
    if not Path(text).is_file():
        raise ConfigError(f"target_face={text}: not main, largest, a track index or an existing photo")
    return Path(text)


def ordered_tracks(tracks: Sequence[FaceTrack]) -> list[FaceTrack]:
    """Tracks by first appearance, ties (faces appearing in the same frame) left to right."""
    return sorted(tracks, key=lambda tr: (tr.frames[0], tr.boxes[0, 0]))


def _box_area(track: FaceTrack) -> float:
    return float(np.mean((track.boxes[:, 2] - track.boxes[:, 0]) * (track.boxes[:, 3] - track.boxes[:, 1])))


def _reference_embedding(photo: Path, detector: FaceDetector) -> np.ndarray:
    frame = next(iter_frames(photo))
    faces = detector.detect(frame)
    if not faces:
        raise InputError(f"{photo}: no face found in the reference photo for target_face")
    return face_embedding(frame, max(faces, key=lambda f: f.score))


def _track_embeddings(video: Path, tracks: Sequence[FaceTrack]) -> list[np.ndarray]:
    """Per track, the mean embedding over a few of its frames (one pass over the video)."""
    wanted: dict[int, list[tuple[int, int]]] = {}  # frame index -> (track, row)
    for k, track in enumerate(tracks):
        rows = np.unique(np.linspace(0, len(track) - 1, SAMPLES_PER_TRACK).round().astype(int))
        for row in rows:
            wanted.setdefault(int(track.frames[row]), []).append((k, int(row)))
    found: list[list[np.ndarray]] = [[] for _ in tracks]
    for t, frame in enumerate(iter_frames(video)):
        for k, row in wanted.get(t, []):
            track = tracks[k]
            face = Face(box=track.boxes[row], score=float(track.scores[row]), landmarks68=track.landmarks[row])
            found[k].append(face_embedding(frame, face))
        if t >= max(wanted):
            break
    return [np.mean(embeddings, axis=0) for embeddings in found]


def choose_track(tracks: Sequence[FaceTrack], choice: str | int | Path, video: Path,
                 detector: FaceDetector) -> FaceTrack:
    """The track `choice` names among a video's (non-empty) tracks."""
    if choice == MAIN:
        return main_track(tracks)
    if choice == LARGEST:
        return max(tracks, key=_box_area)
    if isinstance(choice, int):
        if choice >= len(tracks):
            raise InputError(f"{video}: target_face={choice}, but the video has {len(tracks)} face track(s)")
        return ordered_tracks(tracks)[choice]
    reference = _reference_embedding(choice, detector)
    distances = [np.linalg.norm(e - reference) for e in _track_embeddings(video, tracks)]
    return tracks[int(np.argmin(distances))]

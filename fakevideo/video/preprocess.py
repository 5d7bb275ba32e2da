"""Per-video FSGAN preprocessing, cached on disk: detect -> track -> smooth -> crop -> pose -> landmarks.

The cache lives in `<cache_dir>/<stem>-<key>/`, the key hashing the file's bytes, the detector and the
settings; each step's file is written atomically and skipped when present, so an interrupted run resumes.
A face other than the main one (`fakevideo.video.face_choice`) shares the detections and keeps its sequence and
crops in a sub-folder named after the choice.
"""

from __future__ import annotations

import hashlib
import itertools
import json
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from fakevideo.atomic import atomic_path
from fakevideo.errors import InputError
from fakevideo.video.crop import crop_frames, crop_transform, face_box, transform_points
from fakevideo.video.face_choice import MAIN, choose_track
from fakevideo.video.faces import Face, FaceDetector
from fakevideo.video.io import iter_frames, read_video_info
from fakevideo.video.pose import head_pose
from fakevideo.video.tracking import link_tracks, missing_frames, smooth_track

CACHE_VERSION = 1
DETECTIONS, SEQUENCE, CROPS = "detections.npz", "sequence.npz", "crops.npy"
_CROP_BATCH = 16
_DETECT_WINDOW = 4  # frames per detection thread in flight


@dataclass(frozen=True)
class PreprocessSettings:
    """Knobs that change the cached result (all part of the cache key)."""

    crop_size: int = 256
    crop_scale: float = 1.2
    iou_threshold: float = 0.3
    max_gap: int = 5
    smooth_window: int = 7
    smooth_order: int = 2


@dataclass(frozen=True)
class FaceSequenceCache:
    """The main face of one video: per face frame (N) boxes, landmarks, crop transforms, pose; crops on disk.

    `frames` are the frame indices holding the face; `missing` the others, to be passed through unchanged.
    `landmarks` are in frame pixels, `crop_landmarks` in crop pixels; `poses` are (yaw, pitch, roll) degrees.
    """

    directory: Path
    fps: float
    num_frames: int
    width: int
    height: int
    frames: np.ndarray
    missing: np.ndarray
    boxes: np.ndarray
    landmarks: np.ndarray
    crop_transforms: np.ndarray
    crop_landmarks: np.ndarray
    poses: np.ndarray

    @property
    def crops(self) -> np.ndarray:
        """(N, S, S, 3) uint8 face crops, memory-mapped so long videos are not loaded whole."""
        return np.load(self.directory / CROPS, mmap_mode="r")

    @classmethod
    def load(cls, directory: str | Path) -> FaceSequenceCache:
        directory = Path(directory)
        with np.load(directory / SEQUENCE) as data:
            fields = {k: data[k] for k in data.files}
        scalars = {k: fields.pop(k).item() for k in ("fps", "num_frames", "width", "height")}
        return cls(directory=directory, **scalars, **fields)


def file_hash(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of a file's bytes, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def cache_directory(
    path: Path, cache_dir: Path, detector: FaceDetector, settings: PreprocessSettings
) -> Path:
    """`<cache_dir>/<stem>-<16 hex>` keyed by content, detector and settings (renamed copies share it)."""
    parts = {"file": file_hash(path), "detector": detector.name, "settings": asdict(settings)}
    key = json.dumps({**parts, "version": CACHE_VERSION}, sort_keys=True)
    return cache_dir / f"{path.stem}-{hashlib.sha256(key.encode()).hexdigest()[:16]}"


def _save_npz(path: Path, **arrays: np.ndarray) -> None:
    with atomic_path(path) as tmp:
        np.savez(tmp, **arrays)


def detect_frames(frames: Iterable[np.ndarray], detector: FaceDetector) -> Iterator[list[Face]]:
    """The detector's faces for each frame, in order. Detectors that allow it (`frame_workers` > 1) run on a
    thread pool over a window of a few frames per thread, so memory stays flat in the video's length."""
    workers = getattr(detector, "frame_workers", 1)
    if workers == 1:
        yield from map(detector.detect, frames)
        return
    frames = iter(frames)
    with ThreadPoolExecutor(workers, thread_name_prefix="detect") as pool:
        while window := list(itertools.islice(frames, _DETECT_WINDOW * workers)):
            yield from pool.map(detector.detect, window)


def _detect(path: Path, detector: FaceDetector, out: Path) -> None:
    """Run the detector on every frame; store all faces flat with their frame index."""
    frame_ids, faces = [], []
    num_frames = 0
    for num_frames, found in enumerate(detect_frames(iter_frames(path), detector), start=1):
        frame_ids.extend([num_frames - 1] * len(found))
        faces.extend(found)
    _save_npz(
        out,
        num_frames=np.array(num_frames),
        frame=np.array(frame_ids, dtype=np.int64),
        box=np.array([f.box for f in faces], dtype=np.float64).reshape(-1, 4),
        score=np.array([f.score for f in faces], dtype=np.float64),
        landmarks=np.array([f.landmarks68 for f in faces], dtype=np.float64).reshape(-1, 68, 2),
    )


def _load_detections(path: Path) -> list[list[Face]]:
    with np.load(path) as data:
        per_frame: list[list[Face]] = [[] for _ in range(int(data["num_frames"]))]
        columns = (data["frame"], data["box"], data["score"], data["landmarks"])
        for t, box, score, points in zip(*columns, strict=True):
            per_frame[t].append(Face(box=box, score=float(score), landmarks68=points))
    return per_frame


def _sequence(video: Path, detections: Path, settings: PreprocessSettings, out: Path, face: str | int | Path,
              detector: FaceDetector) -> None:
    """Track, smooth and crop the chosen face; derive crop landmarks and head pose."""
    per_frame = _load_detections(detections)
    tracks = link_tracks(per_frame, settings.iou_threshold, settings.max_gap)
    if not tracks:
        raise InputError(f"{video}: no face found in any of its {len(per_frame)} frames")
    track = choose_track(tracks, face, video, detector)
    track = smooth_track(track, settings.smooth_window, settings.smooth_order)
    info = read_video_info(video)
    transforms = np.array(
        [
            crop_transform(face_box(box, points), settings.crop_size, settings.crop_scale)
            for box, points in zip(track.boxes, track.landmarks, strict=True)
        ]
    )
    crop_landmarks = [transform_points(p, m) for p, m in zip(track.landmarks, transforms, strict=True)]
    _save_npz(
        out,
        fps=np.array(info.fps),
        num_frames=np.array(len(per_frame)),
        width=np.array(info.width),
        height=np.array(info.height),
        frames=track.frames,
        missing=missing_frames(track, len(per_frame)),
        boxes=track.boxes,
        landmarks=track.landmarks,
        crop_transforms=transforms,
        crop_landmarks=np.array(crop_landmarks),
        poses=np.array([head_pose(p, info.width, info.height) for p in track.landmarks]),
    )


def _crops(video: Path, sequence: FaceSequenceCache, size: int, out: Path) -> None:
    """Stream the video once more and write the face crops into a memory-mapped .npy, batch by batch."""
    wanted = {int(t): i for i, t in enumerate(sequence.frames)}
    with atomic_path(out) as tmp:
        crops = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.uint8, shape=(len(wanted), size, size, 3))
        batch: list[tuple[int, np.ndarray]] = []
        for t, frame in enumerate(iter_frames(video)):
            if t in wanted:
                batch.append((wanted[t], frame))
            last = t == sequence.frames[-1]
            if batch and (len(batch) == _CROP_BATCH or last):
                rows = [i for i, _ in batch]
                frames = np.stack([f for _, f in batch])
                crops[rows] = crop_frames(frames, sequence.crop_transforms[rows], size)
                batch = []
            if last:
                break
        crops.flush()
        del crops


def face_folder(directory: Path, face: str | int | Path) -> Path:
    """Where the sequence of the chosen face lives: the cache folder itself for the main face."""
    if face == MAIN:
        return directory
    key = f"photo-{file_hash(face)[:16]}" if isinstance(face, Path) else f"track{face}" if isinstance(face, int) \
        else face
    return directory / f"face-{key}"


def preprocess_video(
    path: str | Path,
    cache_dir: str | Path,
    detector: FaceDetector,
    settings: PreprocessSettings | None = None,
    face: str | int | Path = MAIN,
) -> FaceSequenceCache:
    """Preprocess a video (or image) for FSGAN, reusing every cached step; InputError if it shows no face.

    `face` picks the face when there are several (`fakevideo.video.face_choice.parse_face_choice`)."""
    path, settings = Path(path), settings or PreprocessSettings()
    read_video_info(path)  # fails early, in one line, on missing or corrupt files
    directory = cache_directory(path, Path(cache_dir), detector, settings)
    if not (directory / DETECTIONS).is_file():
        _detect(path, detector, directory / DETECTIONS)
    folder = face_folder(directory, face)
    if not (folder / SEQUENCE).is_file():
        _sequence(path, directory / DETECTIONS, settings, folder / SEQUENCE, face, detector)
    sequence = FaceSequenceCache.load(folder)
    if not (folder / CROPS).is_file():
        _crops(path, sequence, settings.crop_size, folder / CROPS)
    return sequence

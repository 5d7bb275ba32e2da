"""Face detection with 68-point landmarks behind one small interface, plus a 128-d identity embedding.

Backends: `dlib` (HOG or CNN detector, weights shipped in the face-recognition-models wheel, works offline)
and `face_alignment` (S3FD + 2D-FAN, the FSGAN paper's choice; its weights must be supplied by the user).
"""

from __future__ import annotations

import functools
import importlib.util
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from fakevideo.errors import ConfigError
from fakevideo.parallel import worker_count

NUM_LANDMARKS = 68


@dataclass(frozen=True)
class Face:
    """One detected face: box (x0, y0, x1, y1) in pixels, detector score, (68, 2) landmarks as (x, y)."""

    box: np.ndarray
    score: float
    landmarks68: np.ndarray


class FaceDetector(Protocol):
    """Finds faces with landmarks in one uint8 RGB (H, W, 3) frame; `name` keys caches of its results.

    A detector that may be called from several threads at once says how many with a `frame_workers` attribute
    (absent = 1): video preprocessing then detects that many frames in parallel.
    """

    name: str

    def detect(self, frame: np.ndarray) -> list[Face]: ...


def dlib_model_path(filename: str) -> Path:
    """Locate a model file of the face-recognition-models wheel without importing it (needs pkg_resources)."""
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise ConfigError("face_recognition_models: not installed (pip install face-recognition-models)")
    path = Path(next(iter(spec.submodule_search_locations))) / "models" / filename
    if not path.is_file():
        raise ConfigError(f"{path}: dlib model file missing; reinstall face-recognition-models")
    return path


class _ModelCopies:
    """Copies of one dlib model, each lent to one thread at a time and kept for later calls.

    dlib's models keep scratch state while they run: two threads sharing one HOG detector found a face box 10 px
    away from where the serial run found it. The copies outlive any thread pool (the shape predictor takes
    0.5 s to load), and there are never more than the threads that ran at once.
    """

    def __init__(self, build: Callable[[], object]):
        self._build, self._free, self._lock = build, [], threading.Lock()

    @contextmanager
    def borrow(self) -> Iterator:
        with self._lock:
            model = self._free.pop() if self._free else None
        model = self._build() if model is None else model
        try:
            yield model
        finally:
            with self._lock:
                self._free.append(model)


@functools.cache
def _dlib_model(kind: str, filename: str | None = None) -> _ModelCopies:
    """dlib's `kind` model loaded from `filename` (a built-in one, such as the HOG detector, when None)."""
    import dlib

    if filename is None:
        return _ModelCopies(getattr(dlib, kind))
    path = str(dlib_model_path(filename))
    return _ModelCopies(lambda: getattr(dlib, kind)(path))


def _landmark_points(frame: np.ndarray, box: np.ndarray):
    import dlib

    rect = dlib.rectangle(*(int(round(v)) for v in box))
    with _dlib_model("shape_predictor", "shape_predictor_68_face_landmarks.dat").borrow() as shape_predictor:
        return rect, shape_predictor(frame, rect)


class DlibDetector:
    """dlib's HOG (fast, frontal) or MMOD-CNN detector followed by its 68-point shape predictor.

    dlib releases the GIL and no two threads share a model copy, so `workers` threads (None: all cores) detect
    frames in parallel, with results identical to a serial run.
    """

    def __init__(self, model: str = "hog", upsample: int = 1, min_score: float = 0.0, workers: int | None = None):
        if model not in ("hog", "cnn"):
            raise ConfigError(f"detector.model: {model!r} is not one of 'hog', 'cnn'")
        if workers is not None and workers < 1:
            raise ConfigError(f"detector.workers: {workers} must be at least 1 (or null for all cores)")
        self.frame_workers = worker_count(workers)
        self.model = model
        self.upsample = upsample
        self.min_score = min_score
        self.name = f"dlib-{model}-up{upsample}-min{min_score:g}"

    def _boxes(self, frame: np.ndarray) -> list[tuple[np.ndarray, float]]:
        if self.model == "hog":
            with _dlib_model("get_frontal_face_detector").borrow() as hog:
                rects, scores, _ = hog.run(frame, self.upsample, self.min_score)
            found = list(zip(rects, scores, strict=True))
        else:
            with _dlib_model("cnn_face_detection_model_v1", "mmod_human_face_detector.dat").borrow() as cnn:
                found = [(d.rect, d.confidence) for d in cnn(frame, self.upsample)]
        return [
            (np.array([r.left(), r.top(), r.right() + 1, r.bottom() + 1], float), float(s))
            for r, s in found
            if s >= self.min_score
        ]

    def detect(self, frame: np.ndarray) -> list[Face]:
        frame = np.ascontiguousarray(frame, dtype=np.uint8)
        faces = []
        for box, score in self._boxes(frame):
            _, shape = _landmark_points(frame, box)
            points = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
            faces.append(Face(box=box, score=score, landmarks68=points))
        return faces


def face_embedding(frame: np.ndarray, face: Face) -> np.ndarray:
    """dlib's 128-d ResNet face descriptor (same person usually < 0.6 apart in L2) for identity metrics."""
    import dlib

    frame = np.ascontiguousarray(frame, dtype=np.uint8)
    rect = dlib.rectangle(*(int(round(v)) for v in face.box))
    points = dlib.points([dlib.point(int(round(x)), int(round(y))) for x, y in face.landmarks68])
    with _dlib_model("face_recognition_model_v1", "dlib_face_recognition_resnet_model_v1.dat").borrow() as model:
        return np.asarray(model.compute_face_descriptor(frame, dlib.full_object_detection(rect, points)))


FACE_ALIGNMENT_FILES = {"landmarks": "2DFAN4-11f355bf06.pth.tar", "detector": "s3fd-619a316812.pth"}


def default_weights_dir() -> Path:
    """Where face-alignment looks for its weights: `$TORCH_HOME/hub/checkpoints` (torch.hub's cache)."""
    import torch.hub

    return Path(torch.hub.get_dir()) / "checkpoints"


class FaceAlignmentDetector:
    """face-alignment's S3FD detector + 2D-FAN landmarks, built only from weight files already on disk.

    The library downloads missing weights on construction; we refuse instead and say where to put them.
    """

    def __init__(self, device: str = "cpu", weights_dir: str | Path | None = None, min_score: float = 0.5):
        self.weights_dir = Path(weights_dir) if weights_dir is not None else default_weights_dir()
        for role, filename in FACE_ALIGNMENT_FILES.items():
            if not (self.weights_dir / filename).is_file():
                raise ConfigError(
                    f"{self.weights_dir / filename}: face-alignment {role} weights missing; "
                    f"download {filename} yourself and place it in {self.weights_dir} (or set weights_dir)"
                )
        self.name = f"face_alignment-min{min_score:g}"
        self._model = self._build(device, min_score)

    def _build(self, device: str, min_score: float):
        import face_alignment
        import torch.hub

        # face-alignment resolves the FAN file through torch.hub's dir; point it at ours while building.
        previous = torch.hub.get_dir()
        torch.hub.set_dir(str(self.weights_dir.parent))
        try:
            return face_alignment.FaceAlignment(
                face_alignment.LandmarksType.TWO_D,
                device=device,
                compile=False,
                face_detector_kwargs={
                    "path_to_detector": str(self.weights_dir / FACE_ALIGNMENT_FILES["detector"]),
                    "filter_threshold": min_score,
                },
            )
        finally:
            torch.hub.set_dir(previous)

    def detect(self, frame: np.ndarray) -> list[Face]:
        landmarks, _, boxes = self._model.get_landmarks_from_image(frame, return_bboxes=True)
        if landmarks is None:
            return []
        return [
            Face(box=np.asarray(b[:4], float), score=float(b[4]), landmarks68=np.asarray(p[:, :2], float))
            for p, b in zip(landmarks, boxes, strict=True)
        ]


_BACKENDS: dict[str, Callable[..., FaceDetector]] = {
    "dlib": DlibDetector,
    "face_alignment": FaceAlignmentDetector,
}


def make_detector(name: str, **kwargs) -> FaceDetector:
    """Build a detector backend by name ('dlib' or 'face_alignment') with its keyword options."""
    if name not in _BACKENDS:
        raise ConfigError(f"detector: unknown backend {name!r}; choose one of {sorted(_BACKENDS)}")
    return _BACKENDS[name](**kwargs)



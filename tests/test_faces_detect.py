"""Face detection backends on a real photo (scikit-image's astronaut), embeddings and backend errors."""

import importlib.util
from pathlib import Path

import numpy as np
import pytest

from fakevideo.errors import ConfigError
from fakevideo.video.faces import FACE_ALIGNMENT_FILES, face_embedding, make_detector
from fakevideo.video.io import iter_frames

# Verified by eye on a plot of all 68 points over the photo: chin, nose tip, outer eye corners, mouth corners.
ASTRONAUT_BOX = (175, 76, 266, 167)
ASTRONAUT_POINTS = {
    8: (220, 179), 30: (225, 127), 36: (195, 101), 45: (255, 104), 48: (200, 139), 54: (246, 141)
}


@pytest.fixture(scope="module")
def astronaut() -> np.ndarray:
    folder = Path(next(iter(importlib.util.find_spec("skimage.data").submodule_search_locations)))
    return next(iter_frames(folder / "astronaut.png"))


@pytest.fixture(scope="module")
def astronaut_face(astronaut):
    faces = make_detector("dlib", model="hog").detect(astronaut)
    return max(faces, key=lambda f: f.score)


def test_dlib_finds_the_astronaut_face_and_landmarks(astronaut_face):
    assert astronaut_face.score > 0.5
    np.testing.assert_allclose(astronaut_face.box, ASTRONAUT_BOX, atol=4)
    assert astronaut_face.landmarks68.shape == (68, 2)
    for index, point in ASTRONAUT_POINTS.items():
        np.testing.assert_allclose(astronaut_face.landmarks68[index], point, atol=3)


def test_detections_follow_the_image(astronaut, astronaut_face):
    """Shift the photo by (+40, +24) px: the landmarks move by that much (HOG boxes snap to cells: +-3 px)."""
    shifted = np.zeros_like(astronaut)
    shifted[24:, 40:] = astronaut[:-24, :-40]
    face = max(make_detector("dlib").detect(shifted), key=lambda f: f.score)
    error = np.abs(face.landmarks68 - astronaut_face.landmarks68 - [40, 24])
    assert error.max() <= 3 and error.mean() < 1.5


def test_no_face_in_a_blank_frame():
    assert make_detector("dlib").detect(np.full((200, 200, 3), 128, np.uint8)) == []


def test_embedding_matches_the_mirrored_face_not_a_blank_one(astronaut, astronaut_face):
    detector = make_detector("dlib")
    mirrored = np.ascontiguousarray(astronaut[:, ::-1])
    mirrored_face = max(detector.detect(mirrored), key=lambda f: f.score)
    reference = face_embedding(astronaut, astronaut_face)
    assert reference.shape == (128,)
    blank = np.full_like(astronaut, 128)
    assert np.linalg.norm(face_embedding(blank, astronaut_face) - reference) > 0.6  # no face there
    assert np.linalg.norm(face_embedding(mirrored, mirrored_face) - reference) < 0.6  # dlib: same person


def test_face_alignment_without_weights_names_the_missing_file(tmp_path):
    with pytest.raises(ConfigError) as err:
        make_detector("face_alignment", weights_dir=tmp_path)
    message = str(err.value)
    assert str(tmp_path / FACE_ALIGNMENT_FILES["landmarks"]) in message and "\n" not in message
    (tmp_path / FACE_ALIGNMENT_FILES["landmarks"]).write_bytes(b"")
    with pytest.raises(ConfigError, match=FACE_ALIGNMENT_FILES["detector"]):
        make_detector("face_alignment", weights_dir=tmp_path)


def test_default_weights_dir_follows_torch_home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path))
    with pytest.raises(ConfigError, match=str(tmp_path / "hub" / "checkpoints")):
        make_detector("face_alignment")


def test_unknown_backend_is_a_config_error():
    with pytest.raises(ConfigError, match="unknown backend 'mtcnn'"):
        make_detector("mtcnn")
    with pytest.raises(ConfigError, match="detector.model"):
        make_detector("dlib", model="yolo")

"""Video similarity of files (evaluation.video) and its measures (metrics.video_similarity) on 128 px demo clips:
identities, known perturbations, closed forms, missing faces."""

from pathlib import Path

import cv2
import numpy as np
import pytest
import torch
from skimage.metrics import structural_similarity

from fakevideo.data.demo_faces import build_demo_faces
from fakevideo.evaluation import video as ev
from fakevideo.metrics import video_similarity as vs
from fakevideo.video.io import VideoWriter, iter_frames

NUM_FRAMES = 6
SIZE = 128


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    """Two clips of the astronaut and of Grace Hopper (different motion each), 6 frames of 128 px."""
    root = tmp_path_factory.mktemp("demo_faces")
    built = build_demo_faces(root, NUM_FRAMES, SIZE, clips_per_identity=2, identities=["astronaut", "grace_hopper"])
    return {f"{c.identity}{c.video.stem[-1]}": c.video for c in built} | {"truth": built}


@pytest.fixture(scope="module")
def tracks(clips) -> dict[str, vs.FaceTrack]:
    return {name: ev.face_track(clips[name]) for name in ("astronaut0", "astronaut1", "grace_hopper0")}


def write_video(path: Path, frames) -> Path:
    with VideoWriter(path, 25.0) as writer:
        for frame in frames:
            writer.write(np.ascontiguousarray(frame))
    return path


def perturbed(video: Path, out: Path, kind: str, strength: float) -> Path:
    rng = np.random.default_rng(0)
    frames = []
    for frame in iter_frames(video):
        if kind == "noise":
            frame = np.clip(frame + rng.normal(0, strength, frame.shape), 0, 255).astype(np.uint8)
        elif kind == "blur":
            frame = cv2.GaussianBlur(frame, (0, 0), strength)
        else:
            frame = cv2.warpAffine(frame, np.float32([[1, 0, strength], [0, 1, 0]]), frame.shape[1::-1],
                                   borderMode=cv2.BORDER_REFLECT)
        frames.append(frame)
    return write_video(out / f"{kind}{strength}.mp4", frames)


def test_identical_videos_are_perfectly_similar(clips, tracks):
    video = clips["astronaut0"]
    for sim in (ev.pixel_similarity(video, video), ev.pca_similarity(video, video)):
        assert sim.cosine.shape == (NUM_FRAMES,)
        np.testing.assert_allclose(sim.cosine, 1.0, atol=1e-9)
        np.testing.assert_array_equal(sim.mse, 0.0)
        np.testing.assert_allclose(sim.ssim, 1.0, atol=1e-5)
    track = tracks["astronaut0"]
    face = vs.embedding_similarity(track, track)
    assert face.missing == 0 and np.isnan(face.ssim).all()
    np.testing.assert_allclose(face.cosine, 1.0, atol=1e-9)
    np.testing.assert_array_equal(face.mse, 0.0)
    np.testing.assert_array_equal(vs.pose_error(track, track), 0.0)
    np.testing.assert_array_equal(vs.expression_error(track, track), 0.0)


def test_pixel_metrics_match_brute_force(clips):
    a, b = clips["astronaut0"], clips["astronaut1"]
    sim = ev.pixel_similarity(a, b)
    for t, (frame_a, frame_b) in enumerate(zip(iter_frames(a), iter_frames(b), strict=True)):
        x, y = frame_a.ravel() / 255.0, frame_b.ravel() / 255.0
        assert sim.cosine[t] == pytest.approx(x @ y / np.linalg.norm(x) / np.linalg.norm(y), rel=1e-9)
        assert sim.mse[t] == pytest.approx(np.mean((x - y) ** 2), rel=1e-6)
        reference = structural_similarity(frame_a / 255.0, frame_b / 255.0, channel_axis=2, data_range=1.0,
                                          gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
        assert sim.ssim[t] == pytest.approx(reference, abs=1e-4)
    assert 0.1 < sim.ssim.mean() < 0.9 and sim.means()["mse"] == pytest.approx(sim.mse.mean())


def test_pca_basis_is_orthonormal_and_its_mse_is_the_rebuilt_frames_mse(clips):
    a, b = clips["astronaut0"], clips["grace_hopper0"]
    basis = ev.fit_pca(a, b, components=5, size=32)
    assert basis.size == (32, 32) and basis.components.shape == (5, 32 * 32 * 3)
    np.testing.assert_allclose(basis.components @ basis.components.T, np.eye(5), atol=1e-9)
    # All 16 frames span at most 15 centred directions: asking for more keeps only those with variance.
    assert len(ev.fit_pca(a, b, components=40, size=32).components) == 2 * NUM_FRAMES - 1
    sim = ev.pca_similarity(a, b, basis)
    frames = [torch.from_numpy(np.stack(list(iter_frames(v)))).permute(0, 3, 1, 2).float() / 255 for v in (a, b)]
    coefficients = [basis.project(basis.flatten(f)) for f in frames]
    rebuilt = [basis.mean + c @ basis.components for c in coefficients]
    np.testing.assert_allclose(sim.mse, ((rebuilt[0] - rebuilt[1]) ** 2).mean(1), rtol=1e-9)
    np.testing.assert_allclose(sim.cosine, vs.cosine_rows(*coefficients), rtol=1e-9)


@pytest.mark.parametrize("kind, strengths", [("noise", (4, 12, 36)), ("blur", (0.7, 1.5, 3.0)), ("shift", (1, 3, 8))])
def test_similarity_decreases_with_perturbation_strength(clips, tmp_path, kind, strengths):
    video = clips["astronaut0"]
    variants = [video, *(perturbed(video, tmp_path, kind, s) for s in strengths)]
    for measure in (ev.pixel_similarity, ev.pca_similarity):
        means = [measure(video, v).means() for v in variants]
        cosine, mse, ssim = (np.array([m[k] for m in means]) for k in vs.METRICS)
        assert (np.diff(cosine) < 0).all(), (measure.__name__, cosine)
        assert (np.diff(mse) > 0).all(), (measure.__name__, mse)
        assert (np.diff(ssim) < 0).all(), (measure.__name__, ssim)


def test_identity_of_a_clip_is_closer_to_its_own_identity(tracks):
    own = vs.identity_similarity(tracks["astronaut0"], tracks["astronaut1"])
    other = vs.identity_similarity(tracks["astronaut0"], tracks["grace_hopper0"])
    assert own.shape == other.shape == (NUM_FRAMES,)
    assert own.mean() > 0.95 and own.mean() > other.mean() + 0.03
    back = vs.identity_similarity(tracks["grace_hopper0"], tracks["grace_hopper0"])
    assert back.mean() > vs.identity_similarity(tracks["grace_hopper0"], tracks["astronaut0"]).mean()


def test_pose_error_follows_the_known_roll(clips, tracks):
    truth = {c.video: c for c in clips["truth"]}
    roll_gap = np.abs(truth[clips["astronaut0"]].roll - truth[clips["astronaut1"]].roll)
    error = vs.pose_error(tracks["astronaut0"], tracks["astronaut1"])
    assert error.shape == (NUM_FRAMES, 3) and roll_gap.max() > 5
    np.testing.assert_allclose(error[:, 2], roll_gap, atol=3.0)


def test_expression_error_is_landmark_offset_over_inter_ocular_distance(tracks):
    track = tracks["astronaut0"]
    offset = np.zeros_like(track.landmarks)
    offset[:, 48:68] = [3.0, 4.0]  # move the 20 mouth points by 5 px
    moved = vs.FaceTrack(track.path, track.width, track.height, track.landmarks + offset, track.embeddings,
                         track.poses)
    inter_ocular = np.linalg.norm(track.landmarks[:, 36] - track.landmarks[:, 45], axis=1)
    np.testing.assert_allclose(vs.expression_error(moved, track), 5.0 * 20 / 68 / inter_ocular, rtol=1e-9)


def test_frames_without_a_face_are_missing(clips, tracks, tmp_path):
    frames = list(iter_frames(clips["astronaut0"]))
    blank = {2, 5}
    for t in blank:
        frames[t] = np.full_like(frames[t], 128)
    track = ev.face_track(write_video(tmp_path / "blanks.mp4", frames))
    assert set(np.flatnonzero(~track.found)) == blank and np.isnan(track.poses[list(blank)]).all()
    face = vs.embedding_similarity(track, tracks["astronaut0"])
    assert face.missing == 2 and set(np.flatnonzero(np.isnan(face.cosine))) == blank
    assert face.means()["cosine"] == pytest.approx(np.delete(face.cosine, list(blank)).mean())
    assert face.means()["cosine"] > 0.9 and np.isnan(vs.pose_error(track, tracks["astronaut0"])[list(blank)]).all()


def test_different_lengths_are_truncated_with_a_warning(clips, tmp_path):
    short = write_video(tmp_path / "short.mp4", list(iter_frames(clips["astronaut0"]))[:5])
    with pytest.warns(UserWarning, match="comparing the first 5"):
        sim = ev.pixel_similarity(clips["astronaut0"], short)
    assert sim.cosine.shape == (5,) and sim.means()["ssim"] > 0.9
    with pytest.warns(UserWarning, match="comparing the first 5"):
        assert ev.pca_similarity(short, clips["astronaut0"]).cosine.shape == (5,)

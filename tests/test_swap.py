"""Face swap on video with tiny FSGAN models trained on the demo faces: pose-based view choice, the streaming
swap end to end (frame count, size, rate, audio, pass-through frames, label, watermark) and the swap.py CLI."""

import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import REPO

from fakevideo.audio.io import load_audio
from fakevideo.config import compose
from fakevideo.errors import CheckpointError, ConfigError
from fakevideo.pipelines.convert import VoiceConverter
from fakevideo.pipelines.face_models import FaceSwapModels
from fakevideo.pipelines.fakevideo import sync_error
from fakevideo.pipelines.swap import FaceSwapper, SwapOptions, build_swapper, crop_to_model
from fakevideo.provenance import check_file, checkpoint_sha256, read_video_label
from fakevideo.provenance.caption import caption_box
from fakevideo.training.run import train
from fakevideo.video.crop import transform_points
from fakevideo.video.faces import DlibDetector
from fakevideo.video.io import VideoWriter, iter_frames, mux_audio, read_video_info
from fakevideo.video.views import ViewSelector

ROLES = ("reenactment", "segmentation", "completion", "blending")
BLANK_FRAMES = (3, 4, 11)
AUDIO_RATE = 16000


@pytest.fixture(scope="module", autouse=True)
def _single_thread(one_thread):
    """Every test here runs tiny networks."""


@pytest.fixture(scope="module")
def checkpoints(tmp_path_factory, face_dirs):
    """One tiny checkpoint per FSGAN role: 64 px, width 8, two generator iterations, no VGG term."""
    demo, cache = face_dirs
    paths = {}
    for role in ROLES:
        run_dir = tmp_path_factory.mktemp(role)
        overrides = [f"model=fsgan_{role}", "data=faces", f"data.demo_dir={demo}", f"data.cache_dir={cache}",
                     "data.detector.upsample=0", "data.image_size=64", "width=8", "++model.generator.depth=3",
                     "logger=csv", "trainer=cpu", "trainer.enable_progress_bar=false",
                     "trainer.enable_model_summary=false", "trainer.num_sanity_val_steps=0", "iterations=2",
                     "validate_every=2", "optimized_metric=null"]
        if role != "segmentation":
            overrides += ["++model.generator.bottleneck_blocks=1", "++model.generator.local_blocks=1",
                          "model.loss.perceptual=0", "model.perceptual=null"]
        train(compose("train", overrides, run_dir))
        paths[role] = run_dir / "checkpoints" / "last.ckpt"
    return paths


@pytest.fixture(scope="module")
def target_video(face_dirs, tmp_path_factory):
    """A demo clip of the astronaut with blank frames inserted and a 440 Hz tone muxed in."""
    demo, _ = face_dirs
    frames = list(iter_frames(demo / "astronaut" / "clip0.mp4"))[:16]
    for index in BLANK_FRAMES:
        frames.insert(index, np.full_like(frames[0], 90))
    folder = tmp_path_factory.mktemp("target")
    with VideoWriter(folder / "silent.mp4", 25.0) as writer:
        for frame in frames:
            writer.write(frame)
    seconds = len(frames) / 25.0
    tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(int(seconds * AUDIO_RATE)) / AUDIO_RATE)
    return mux_audio(folder / "silent.mp4", tone[None], folder / "target.mp4", sample_rate=AUDIO_RATE)


def duration(path) -> float:
    audio, rate = load_audio(path)
    return len(audio) / rate


# -- view selection ------------------------------------------------------------------------------------------


def test_views_inside_the_hull_reproduce_the_pose_barycentrically():
    poses = np.array([[0.0, 0.0], [20.0, 0.0], [0.0, 10.0], [20.0, 10.0], [-15.0, 5.0]])
    selector = ViewSelector(poses)
    rng = np.random.default_rng(0)
    for point in rng.uniform([-4, 2], [19, 9], size=(20, 2)):
        views, weights = selector.select(np.append(point, 7.0))  # roll is ignored
        assert len(views) == 3 and np.all(weights >= 0)
        np.testing.assert_allclose(weights.sum(), 1.0)
        np.testing.assert_allclose(weights @ poses[views], point, atol=1e-9)


def test_views_at_a_source_pose_or_outside_the_hull_pick_one_view():
    poses = np.array([[0.0, 0.0], [20.0, 0.0], [0.0, 10.0]])
    views, weights = ViewSelector(poses).select([20.0, 0.0])
    assert weights[views == 1] == pytest.approx(1.0)
    views, weights = ViewSelector(poses).select([40.0, -30.0])
    assert views.tolist() == [1] and weights.tolist() == [1.0]
    assert ViewSelector(poses[:1]).select([30.0, 30.0])[0].tolist() == [0]  # a single image: its one view
    collinear = ViewSelector(np.array([[0.0, 0.0], [1.0, 0.0], [2.0, 0.0]]))  # no triangle: nearest
    assert collinear.select([1.9, 5.0])[0].tolist() == [2]


def test_crop_transform_rescales_onto_the_same_pixels():
    transform = np.array([[0.8, 0.1, 12.0], [-0.1, 0.8, 30.0], [0.0, 0.0, 1.0]])
    points = np.array([[10.0, 20.0], [100.0, 7.0]])
    at_256 = transform_points(points, transform)
    at_64 = transform_points(points, crop_to_model(transform, 256, 64))
    np.testing.assert_allclose(at_64, (at_256 + 0.5) * 0.25 - 0.5)


# -- end to end ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def swapped(checkpoints, face_dirs, target_video, tmp_path_factory):
    demo, cache = face_dirs
    without_segmentation = {role: path for role, path in checkpoints.items() if role != "segmentation"}
    models = FaceSwapModels.from_checkpoints(without_segmentation, device="cpu")  # landmark masks
    swapper = FaceSwapper(models, DlibDetector(upsample=0), cache, SwapOptions(batch_size=4))
    output = tmp_path_factory.mktemp("out") / "swapped.mp4"
    summary = swapper.swap(demo / "grace_hopper" / "still.png", target_video, output)
    return summary, output


def test_swap_keeps_frame_count_size_rate_and_audio(swapped, target_video):
    summary, output = swapped
    source, result = read_video_info(target_video), read_video_info(output)
    assert (result.num_frames, result.width, result.height, result.fps) == (
        source.num_frames, source.width, source.height, source.fps)
    assert result.has_audio and duration(output) == pytest.approx(duration(target_video), abs=0.03)
    assert summary.frames == source.num_frames == 19
    assert summary.passed_through == len(BLANK_FRAMES) and summary.swapped == 16
    assert f"{len(BLANK_FRAMES)} without a face passed through" in str(summary)


def test_swap_changes_only_faces_and_passes_blank_frames_through(swapped, target_video, face_dirs):
    _, output = swapped
    landmarks = iter(np.load(face_dirs[0] / "astronaut" / "clip0.npz")["landmarks"])
    for index, (before, after) in enumerate(zip(iter_frames(target_video), iter_frames(output), strict=True)):
        diff = np.abs(before.astype(float) - after).mean(axis=2)
        if index in BLANK_FRAMES:
            assert diff.mean() < 2.5, index  # the watermark (2 grey levels RMS) and H.264 only
            continue
        points = next(landmarks)
        (x0, y0), (x1, y1) = points.min(0).astype(int), points.max(0).astype(int)
        inner = diff[y0 + (y1 - y0) // 4: y1 - (y1 - y0) // 4, x0 + (x1 - x0) // 4: x1 - (x1 - x0) // 4]
        margin = (x1 - x0) // 2
        outside = np.ones_like(diff, bool)
        outside[max(y0 - margin, 0): y1 + margin, max(x0 - margin, 0): x1 + margin] = False
        assert inner.mean() > 4, index  # barely trained generators repaint the face
        assert diff[outside].mean() < 3.0, index  # mask keeps the rest: watermark + H.264 measure 2.0-2.5


def test_swap_output_is_labelled_and_watermarked(swapped, checkpoints, target_video):
    _, output = swapped
    label = read_video_label(output)
    assert label is not None and label.synthetic and label.model_family == "fsgan"
    assert set(label.extra["checkpoints"]) == {"reenactment", "completion", "blending"}
    assert label.extra["target"] == "target.mp4"
    result = check_file(output)
    assert result.watermark.detected
    assert not check_file(target_video).watermark.detected


def test_models_trained_at_different_sizes_are_refused(checkpoints):
    models = FaceSwapModels.from_checkpoints(checkpoints, device="cpu")
    models.tasks["blending"].data_info = {**models.tasks["blending"].data_info, "image_size": 128}
    with pytest.raises(CheckpointError, match="ckpt.blending: trained at data.image_size=128"):
        FaceSwapModels(models.tasks, models.device)


def test_finetune_adapts_reenactment_to_the_source_and_is_cached(checkpoints, face_dirs, target_video, tmp_path,
                                                                 monkeypatch):
    """Self-reenactment on a single photo lowers its reconstruction loss; the second swap reuses the cache."""
    from fakevideo.pipelines import finetune

    demo, cache = face_dirs
    overrides = ["source=unused", "target=unused", *(f"ckpt.{role}={path}" for role, path in checkpoints.items()),
                 f"cache_dir={cache}", "detector.upsample=0", "device=cpu", "batch_size=4",
                 "finetune.iterations=12", "finetune.lr=1e-3", "finetune.batch_size=2"]
    swapper = build_swapper(compose("swap", overrides, tmp_path))
    task = swapper.models.tasks["reenactment"]
    source = demo / "grace_hopper" / "still.png"
    faces = swapper.preprocess(source)
    views = finetune.view_batch(faces, list(range(len(faces.frames))), swapper.models.image_size)
    batch = {"source_image": views["image"] * 2 - 1, "target_image": views["image"] * 2 - 1,
             "target_landmarks": views["landmarks"]}
    before_weights = {k: v.clone() for k, v in task.generator.state_dict().items()}
    with torch.no_grad():
        before = float(finetune.reconstruction_loss(task, batch))
    batch_sizes, view_batch = [], finetune.view_batch
    monkeypatch.setattr(finetune, "view_batch", lambda faces, frames, size: (batch_sizes.append(len(frames)),
                                                                              view_batch(faces, frames, size))[1])
    summary = swapper.swap(source, target_video, tmp_path / "tuned.mp4")
    assert batch_sizes == [2] * 24  # views are read per batch (source and target side), never all at once
    with torch.no_grad():
        after = float(finetune.reconstruction_loss(task, batch))
    assert after < 0.8 * before
    assert summary.frames == 19 and read_video_info(tmp_path / "tuned.mp4").num_frames == 19
    assert read_video_label(tmp_path / "tuned.mp4").extra["finetune"]["iterations"] == 12
    (cached,) = (cache / "finetune").glob("still-*.pt")
    tuned = {k: v.clone() for k, v in task.generator.state_dict().items()}
    assert any(not torch.equal(tuned[k], before_weights[k]) for k in tuned)

    def no_training(*args, **kwargs):
        raise AssertionError("fine-tuned again instead of using the cache")

    monkeypatch.setattr(finetune, "finetune_reenactment", no_training)
    again = build_swapper(compose("swap", overrides, tmp_path))
    again.adapt_to_source(source, again.preprocess(source))
    state = again.models.tasks["reenactment"].generator.state_dict()
    assert all(torch.equal(state[k], tuned[k]) for k in tuned)
    with pytest.raises(AssertionError, match="fine-tuned again"):  # other settings: a different cache entry
        other = build_swapper(compose("swap", [*overrides, "finetune.seed=1"], tmp_path))
        other.adapt_to_source(source, other.preprocess(source))
    cached.unlink()


def swap_command(face_dirs, target_video, output, checkpoints):
    demo, cache = face_dirs
    return [sys.executable, "swap.py", f"source={demo / 'grace_hopper' / 'still.png'}", f"target={target_video}",
            f"output={output}", *(f"ckpt.{role}={path}" for role, path in checkpoints.items()), f"cache_dir={cache}",
            "detector.upsample=0", "device=cpu"]


def test_swap_command_line_contract(checkpoints, face_dirs, target_video, tmp_path):
    output = tmp_path / "cli.mp4"
    command = swap_command(face_dirs, target_video, output, checkpoints)
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    info, source = read_video_info(output), read_video_info(target_video)
    assert (info.num_frames, info.fps, info.has_audio) == (source.num_frames, source.fps, True)
    assert "16 swapped, 3 without a face passed through unchanged" in result.stdout


def test_missing_checkpoints_are_one_line_errors(checkpoints, tmp_path):
    with pytest.raises(CheckpointError, match=f"^{tmp_path}/none.ckpt: no such checkpoint$"):
        FaceSwapModels.from_checkpoints({**checkpoints, "reenactment": tmp_path / "none.ckpt"}, device="cpu")
    with pytest.raises(CheckpointError, match="^ckpt.blending: missing"):
        FaceSwapModels.from_checkpoints({**checkpoints, "blending": None}, device="cpu")
    with pytest.raises(CheckpointError, match="a ReenactmentTask is needed here"):
        FaceSwapModels.from_checkpoints({**checkpoints, "reenactment": checkpoints["blending"]}, device="cpu")


def test_warp_with_our_completion_and_blending_swaps_at_their_size(checkpoints, face_dirs, target_video, tmp_path):
    """method=warp with this project's completion and blending checkpoints: the warp runs on their 64 px crops
    and the label names both; the face changes and blank frames pass through."""
    demo, cache = face_dirs
    overrides = ["source=unused", "target=unused", "method=warp", f"ckpt.completion={checkpoints['completion']}",
                 f"ckpt.blending={checkpoints['blending']}", f"cache_dir={cache}", "detector.upsample=0",
                 "device=cpu", "batch_size=4"]
    swapper = build_swapper(compose("swap", overrides, tmp_path))
    assert (swapper.models.image_size, swapper.models.family) == (64, "warp+fsgan")
    summary = swapper.swap(demo / "grace_hopper" / "still.png", target_video, tmp_path / "hybrid.mp4")
    assert (summary.frames, summary.swapped) == (19, 16)
    label = read_video_label(tmp_path / "hybrid.mp4")
    assert label.model_family == "warp+fsgan" and set(label.extra["checkpoints"]) == {"completion", "blending"}
    assert label.extra["checkpoints"]["blending"] == checkpoint_sha256(checkpoints["blending"])
    changed = [np.abs(before.astype(float) - after).mean() for before, after in
               zip(iter_frames(target_video), iter_frames(tmp_path / "hybrid.mp4"), strict=True)]
    assert all(changed[i] < 2.5 for i in BLANK_FRAMES) and min(np.delete(changed, BLANK_FRAMES)) > 2.5


# -- the full fake video -------------------------------------------------------------------------------------


def test_fake_video_command_makes_one_synced_mp4_with_the_converted_voice(
        checkpoints, face_dirs, target_video, trained_stargan, demo_corpus, tmp_path):
    demo, cache = face_dirs
    speech = sorted((demo_corpus / "us1_f").glob("*.wav"))[0]
    video = mux_audio(target_video, speech, tmp_path / "a_talking.mp4")  # A's face and A's voice
    vc_checkpoint = trained_stargan / "checkpoints" / "last.ckpt"
    out_dir = tmp_path / "out"
    command = [sys.executable, "-m", "fakevideo.pipelines.fakevideo", f"video={video}",
               f"face={demo / 'grace_hopper' / 'still.png'}", f"vc.ckpt={vc_checkpoint}", "vc.src_spk=us1_f",
               "vc.trg_spk=us2_m", *(f"ckpt.{role}={path}" for role, path in checkpoints.items()),
               f"output={out_dir / 'fake.mp4'}", f"cache_dir={cache}", "detector.upsample=0", "device=cpu"]
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "audio-visual sync" in result.stdout and "flicker" in result.stdout  # the summary says how it holds up
    assert sorted(p.name for p in out_dir.iterdir()) == ["fake.mp4", "fake.mp4.provenance.json"]
    fake = out_dir / "fake.mp4"
    info = read_video_info(fake)
    assert info.num_frames == 19 and info.has_audio
    assert abs(sync_error(fake)) <= 1 / info.fps

    # The audio track is the converted speech (its first 19 frames' worth), not A's own voice.
    converter = VoiceConverter.from_checkpoint(vc_checkpoint)
    original, rate = load_audio(video, converter.sample_rate)
    track, _ = load_audio(fake, converter.sample_rate)
    expected = converter.convert(original, "us1_f", "us2_m")[: len(track)]
    n = min(len(track), len(expected))
    correlation = lambda a, b: np.corrcoef(a[:n], b[:n])[0, 1]  # noqa: E731
    assert correlation(track, expected) > 0.8
    assert abs(correlation(track, original)) < 0.5

    label = read_video_label(fake)
    assert label.model_family == "fsgan+stargan_vc"
    assert label.extra["source_speaker"] == "us1_f" and label.extra["target_speaker"] == "us2_m"
    assert check_file(fake).watermark.detected
    x0, y0, x1, y1, _ = caption_box((info.height, info.width))
    caption = next(iter_frames(fake))[y0:y1, x0:x1]
    assert (caption.max(axis=2) < 40).mean() > 0.5 and (caption.min(axis=2) > 200).any()  # white on black


# -- output: labelled before it is visible -------------------------------------------------------------------


def test_swap_into_a_folder_or_failing_to_label_leaves_nothing_unlabelled(face_dirs, target_video, tmp_path,
                                                                          monkeypatch):
    """The target has no audio, so the swapped frames would be the output itself: they must never reach a
    user-visible path before their label is in them, whatever fails (the warp needs no checkpoints)."""
    from fakevideo.pipelines.warp_model import WarpFaceModel
    from fakevideo.provenance import video as video_labels

    demo, cache = face_dirs
    silent = target_video.parent / "silent.mp4"
    swapper = FaceSwapper(WarpFaceModel(), DlibDetector(upsample=0), cache, SwapOptions(batch_size=4))
    source = demo / "grace_hopper" / "still.png"
    folder = tmp_path / "existing"
    folder.mkdir()
    with pytest.raises(ConfigError, match=f"^output={folder}: is a folder; name the video file to write"):
        swapper.swap(source, silent, folder)
    assert not list(folder.iterdir())

    def broken_labelling(path, label):
        raise OSError("disk full")

    monkeypatch.setattr(video_labels, "label_video", broken_labelling)
    with pytest.raises(OSError, match="disk full"):
        swapper.swap(source, silent, folder / "swapped.mp4")
    assert not list(folder.iterdir())  # no video, no sidecar, no scratch folder
    monkeypatch.undo()
    summary = swapper.swap(source, silent, folder / "swapped.mp4")
    assert sorted(p.name for p in folder.iterdir()) == ["swapped.mp4", "swapped.mp4.provenance.json"]
    assert summary.frames == 19 and not read_video_info(folder / "swapped.mp4").has_audio
    assert read_video_label(folder / "swapped.mp4").extra["target"] == "silent.mp4"

"""Video provenance: frame watermark through H.264 re-encoding, MP4 tags and sidecar, caption, CLI."""

import json
import subprocess
from pathlib import Path

import av
import numpy as np
import pytest
import skimage.data
import soundfile as sf
from conftest import run_provenance_check as run_check
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from fakevideo.errors import ConfigError, InputError
from fakevideo.provenance.audio_watermark import embed_audio_watermark
from fakevideo.provenance.caption import caption_box, caption_frame
from fakevideo.provenance.check import check_file
from fakevideo.provenance.label import ProvenanceLabel
from fakevideo.provenance.video import (
    label_video,
    read_video_frames,
    read_video_label,
    sidecar_path,
    video_metadata,
)
from fakevideo.provenance.video_watermark import detect_video_watermark, embed_frame_watermark
from fakevideo.video.io import mux_audio

LABEL = ProvenanceLabel("fsgan", "f" * 64, extra={"source": "a.mp4", "target": "b.mp4"})
FPS = 25


@pytest.fixture(scope="module")
def frames() -> list[np.ndarray]:
    """A 24-frame 240x320 camera pan over a real photograph (a face, fabric, flat background)."""
    image = skimage.data.astronaut()
    return [image[40 + i : 280 + i, 60 + 2 * i : 380 + 2 * i].copy() for i in range(24)]


def encode(path: Path, frames, crf: int = 23, metadata=None, with_audio: bool = False) -> None:
    """Write RGB frames as H.264 (yuv420p) MP4 with PyAV, optionally with a short AAC track."""
    with av.open(str(path), "w") as container:
        container.metadata.update(metadata or {})
        video = container.add_stream("libx264", rate=FPS, options={"crf": str(crf)})
        video.height, video.width = frames[0].shape[:2]
        video.pix_fmt = "yuv420p"
        audio = container.add_stream("aac", rate=16000) if with_audio else None
        for frame in frames:
            container.mux(video.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        container.mux(video.encode())
        if audio is not None:
            tone = np.sin(2 * np.pi * 440 * np.arange(16000) / 16000).astype(np.float32)[None]
            chunk = av.AudioFrame.from_ndarray(tone, format="fltp", layout="mono")
            chunk.sample_rate = 16000
            container.mux(audio.encode(chunk))
            container.mux(audio.encode())


def h264_round_trip(tmp_path: Path, frames, name: str) -> list[np.ndarray]:
    """Encode at crf 23, decode, re-encode at crf 23, decode: a typical re-upload."""
    first, second = tmp_path / f"{name}.mp4", tmp_path / f"{name}-reencoded.mp4"
    encode(first, frames)
    encode(second, read_video_frames(first))
    return read_video_frames(second)


def test_frame_watermark_is_invisible_by_psnr_and_ssim(frames):
    marked = [embed_frame_watermark(frame) for frame in frames]
    assert min(peak_signal_noise_ratio(a, b, data_range=255) for a, b in zip(frames, marked, strict=True)) > 38.0
    assert min(structural_similarity(a, b, channel_axis=-1, data_range=255)
               for a, b in zip(frames, marked, strict=True)) > 0.95


def test_frame_watermark_changes_luma_only(frames):
    original = frames[0].astype(np.int16)
    delta = embed_frame_watermark(frames[0]).astype(np.int16) - original
    unclipped = ((original > 20) & (original < 235)).all(axis=2)  # the pattern stays far below +-20
    assert np.abs(delta).max() < 20 and np.abs(delta).std() > 1.0
    assert (delta[unclipped] == delta[unclipped][:, :1]).all()  # same change in R, G, B: chroma kept


def test_watermark_survives_h264_reencode_and_is_absent_otherwise(frames, tmp_path):
    marked = h264_round_trip(tmp_path, [embed_frame_watermark(f) for f in frames], "marked")
    plain = h264_round_trip(tmp_path, frames, "plain")
    assert len(marked) == len(frames)
    assert detect_video_watermark(marked).detected
    assert not detect_video_watermark(plain).detected
    assert not detect_video_watermark(frames).detected
    assert not detect_video_watermark(marked, key="someone-else").detected


def test_watermark_persists_in_p_frames_of_a_static_shot(tmp_path):
    still = skimage.data.coffee()[100:340, 100:420]
    decoded = h264_round_trip(tmp_path, [embed_frame_watermark(still)] * 12, "still")
    assert detect_video_watermark(decoded[6:]).detected  # no key frame among these


def test_watermark_survives_cropping(frames):
    marked = [embed_frame_watermark(f)[13:-20, 29:-3] for f in frames[:4]]
    assert detect_video_watermark(marked).detected


def test_embed_rejects_non_rgb_uint8():
    with pytest.raises(InputError, match="uint8 HxWx3"):
        embed_frame_watermark(np.zeros((8, 8, 3), np.float32))


def test_writer_metadata_round_trips(frames, tmp_path):
    path = tmp_path / "swap.mp4"
    encode(path, frames[:3], metadata=video_metadata(LABEL))
    assert read_video_label(path) == LABEL
    with av.open(str(path)) as container:
        assert container.metadata["description"].startswith("SYNTHETIC")


def test_label_video_remuxes_without_reencoding_and_writes_sidecar(frames, tmp_path):
    path = tmp_path / "out.mp4"
    encode(path, frames[:5], with_audio=True)
    before = read_video_frames(path)
    assert read_video_label(path) is None
    label_video(path, LABEL)
    assert read_video_label(path) == LABEL
    assert ProvenanceLabel.from_json(sidecar_path(path).read_text()) == LABEL
    assert all(np.array_equal(a, b) for a, b in zip(before, read_video_frames(path), strict=True))
    with av.open(str(path)) as container:
        assert [s.type for s in container.streams] == ["video", "audio"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.mp4", "out.mp4.provenance.json"]


def test_sidecar_is_read_when_tags_are_stripped(frames, tmp_path):
    path = tmp_path / "stripped.mp4"
    encode(path, frames[:2])
    sidecar_path(path).write_text(json.dumps(json.loads(LABEL.to_json())))
    assert read_video_label(path) == LABEL


@pytest.mark.parametrize("position", ["top-left", "top-right", "bottom-left", "bottom-right"])
def test_caption_draws_a_box_in_the_chosen_corner_only(frames, position):
    frame = frames[0]
    x0, y0, x1, y1, _ = caption_box(frame.shape, position=position)
    out = caption_frame(frame, position=position)
    height, width = frame.shape[:2]
    assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height
    assert (x0 < width / 2) == position.endswith("left") and (y0 < height / 2) == position.startswith("top")
    outside = np.ones((height, width), bool)
    outside[y0:y1, x0:x1] = False
    assert np.array_equal(out[outside], frame[outside]) and out is not frame
    box = out[y0:y1, x0:x1]
    assert (box == 0).all(axis=2).mean() > 0.5 and (box >= 200).all(axis=2).sum() > 50  # white text on black


def test_caption_fits_narrow_frames_and_rejects_unknown_position():
    x0, _, x1, _, _ = caption_box((120, 96, 3))
    assert 0 <= x0 < x1 <= 96
    with pytest.raises(ConfigError, match="middle"):
        caption_frame(np.zeros((64, 64, 3), np.uint8), position="middle")


def test_cli_check_on_mp4_files(frames, tmp_path):
    marked = tmp_path / "fake.mp4"
    encode(marked, [embed_frame_watermark(f) for f in frames])
    run = run_check(marked)
    assert run.returncode == 0, run.stderr
    assert "no label" in run.stdout and "watermark: present" in run.stdout

    label_video(marked, LABEL)
    run = run_check(marked)
    assert run.returncode == 0 and LABEL.to_json() in run.stdout

    real = tmp_path / "real.mp4"
    encode(real, frames)
    run = run_check(real)
    assert run.returncode == 1 and "no label" in run.stdout and "watermark: absent" in run.stdout


def test_audio_track_watermark_survives_aac_in_the_video(frames, tmp_path):
    """The converted voice's mark is found in a video's AAC track; an unmarked track and no track are told apart."""
    speech = tmp_path / "speech.wav"
    text = "Provenance labels keep synthetic speech honest. The quick brown fox jumps over the lazy dog."
    subprocess.run(["espeak-ng", "-v", "mb-us1", "-w", str(speech), text], check=True, capture_output=True)
    audio, rate = sf.read(speech)
    silent_video = tmp_path / "silent.mp4"
    encode(silent_video, frames)
    assert check_file(silent_video).audio_watermark is None

    marked = mux_audio(silent_video, embed_audio_watermark(audio, rate)[None], tmp_path / "marked.mp4", rate)
    plain = mux_audio(silent_video, audio[None], tmp_path / "plain.mp4", rate)
    assert check_file(marked).audio_watermark.detected and check_file(marked).synthetic
    assert not check_file(plain).audio_watermark.detected and not check_file(plain).synthetic
    run = run_check(marked)
    assert run.returncode == 0 and "audio watermark: present" in run.stdout

"""Video I/O: encode/decode round trip, stills as one-frame videos, audio muxing, one-line input errors."""

from pathlib import Path

import av
import numpy as np
import pytest

from fakevideo.errors import InputError
from fakevideo.video.io import VideoWriter, iter_frames, mux_audio, read_video_info


def _moving_bar(num_frames: int, height: int = 64, width: int = 96) -> list[np.ndarray]:
    frames = []
    for i in range(num_frames):
        frame = np.full((height, width, 3), 40, np.uint8)
        frame[:, 4 * i : 4 * i + 16] = (220, 120, 30)
        frames.append(frame)
    return frames


@pytest.fixture
def clip(tmp_path: Path) -> tuple[Path, list[np.ndarray]]:
    frames = _moving_bar(20)
    path = tmp_path / "clip.mp4"
    with VideoWriter(path, fps=12.5, metadata={"comment": "made by a test"}) as writer:
        for frame in frames:
            writer.write(frame)
    return path, frames


def test_round_trip_keeps_count_rate_size_and_content(clip):
    path, frames = clip
    info = read_video_info(path)
    assert (info.num_frames, info.fps, info.width, info.height) == (20, 12.5, 96, 64)
    assert not info.has_audio and info.audio_rate is None
    decoded = list(iter_frames(path))
    assert len(decoded) == 20 and decoded[0].dtype == np.uint8 and decoded[0].shape == (64, 96, 3)
    errors = [np.abs(d.astype(int) - f.astype(int)).mean() for d, f in zip(decoded, frames, strict=True)]
    assert max(errors) < 3.0  # crf 18 H.264 is near-lossless on flat colours
    with av.open(str(path)) as container:
        assert container.metadata["comment"] == "made by a test"


def test_writer_leaves_no_file_when_interrupted(tmp_path):
    path = tmp_path / "broken.mp4"
    with pytest.raises(RuntimeError), VideoWriter(path, fps=25) as writer:
        writer.write(_moving_bar(1)[0])
        raise RuntimeError("crash mid-write")
    assert list(tmp_path.iterdir()) == []


def test_odd_sizes_are_padded_to_even(tmp_path):
    path = tmp_path / "odd.mp4"
    with VideoWriter(path, fps=25) as writer:
        writer.write(np.zeros((33, 47, 3), np.uint8))
    info = read_video_info(path)
    assert (info.width, info.height) == (48, 34)


def test_image_is_a_one_frame_video(tmp_path, clip):
    import cv2

    image = clip[1][3]
    png = tmp_path / "still.png"
    cv2.imwrite(str(png), image[..., ::-1])
    info = read_video_info(png)
    assert (info.num_frames, info.width, info.height) == (1, 96, 64)
    (decoded,) = list(iter_frames(png))
    np.testing.assert_array_equal(decoded, image)


def test_mux_audio_from_array_and_from_file(tmp_path, clip):
    path, _ = clip
    rate = 16000
    tone = 0.3 * np.sin(2 * np.pi * 440 * np.arange(rate) / rate)
    with_tone = mux_audio(path, tone, tmp_path / "tone.mp4", sample_rate=rate)
    info = read_video_info(with_tone)
    assert info.has_audio and info.audio_rate == rate and info.num_frames == 20
    copied = mux_audio(path, with_tone, tmp_path / "copied.mp4")
    assert read_video_info(copied).audio_rate == rate
    with av.open(str(copied)) as container:
        audio = np.concatenate([f.to_ndarray().ravel() for f in container.decode(audio=0)])
    assert abs(len(audio) - rate) < 2048  # one second of samples, give or take AAC priming/padding
    assert 0.15 < np.sqrt(np.mean(audio**2)) < 0.25  # the tone's RMS is 0.3 / sqrt(2) = 0.21


def test_muxed_audio_starts_with_the_picture(tmp_path, clip):
    """The AAC encoder's priming samples are dropped on decoding: a click stays at its time, after one mux and
    after copying the track into another file (it came back 1024 samples late before)."""
    rate = 16000
    click = np.zeros(rate, np.float32)
    click[8000:8020] = 0.9
    muxed = mux_audio(clip[0], click, tmp_path / "click.mp4", sample_rate=rate)
    copied = mux_audio(clip[0], muxed, tmp_path / "copied.mp4")
    for path in (muxed, copied):
        with av.open(str(path)) as container:
            audio = np.concatenate([f.to_ndarray().ravel() for f in container.decode(audio=0)])
        assert abs(int(np.argmax(np.abs(audio))) - 8010) <= 16


@pytest.mark.parametrize(
    "content",
    [b"", b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 8, b"this is just text\n"],
    ids=["empty", "garbage-mp4", "text"],
)
def test_unreadable_files_raise_one_line_input_error(tmp_path, content):
    path = tmp_path / "bad.mp4"
    path.write_bytes(content)
    for call in (read_video_info, lambda p: list(iter_frames(p))):
        with pytest.raises(InputError) as err:
            call(path)
        assert str(path) in str(err.value) and "\n" not in str(err.value)


def test_truncated_video_raises_input_error(tmp_path, clip):
    path, _ = clip
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
    with pytest.raises(InputError, match="truncated.mp4"):  # caught on opening or, at the latest, decoding
        read_video_info(truncated)
        list(iter_frames(truncated))


def test_missing_file_raises_input_error(tmp_path, clip):
    with pytest.raises(InputError, match="nope.mp4: no such video file"):
        read_video_info(tmp_path / "nope.mp4")
    with pytest.raises(InputError, match="nope.wav: no such audio file"):
        mux_audio(clip[0], tmp_path / "nope.wav", tmp_path / "out.mp4")
    assert not (tmp_path / "out.mp4").exists()

"""Video decoding and encoding with PyAV: stream info, streaming RGB frames, H.264 writer, audio muxing.

Still images (png/jpg) decode as one-frame videos. Every failure a user can cause (missing, corrupt or
unsupported file) becomes a one-line InputError naming the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from types import TracebackType

import av
import numpy as np

from fakevideo.atomic import atomic_path
from fakevideo.errors import InputError

DEFAULT_FPS = 25.0
AAC_FRAME_SIZE = 1024  # samples per AAC frame


@dataclass(frozen=True)
class VideoInfo:
    """What a caller needs to know about a media file before decoding it."""

    fps: float
    num_frames: int
    width: int
    height: int
    has_audio: bool
    audio_rate: int | None


def _open(path: Path) -> av.container.InputContainer:
    if not path.is_file():
        raise InputError(f"{path}: no such video file")
    try:
        container = av.open(str(path))
    except (av.error.FFmpegError, UnicodeDecodeError, ValueError) as err:
        raise InputError(f"{path}: cannot open as video ({_first_line(err)})") from None
    if not container.streams.video:
        container.close()
        raise InputError(f"{path}: holds no video stream")
    return container


def _first_line(err: Exception) -> str:
    """FFmpeg's reason without the path it repeats ("Invalid data found when processing input")."""
    return getattr(err, "strerror", None) or (str(err).splitlines() or [type(err).__name__])[0]


def read_video_info(path: str | Path) -> VideoInfo:
    """Frame rate, frame count, size and audio presence; counts packets when the header has no frame count."""
    path = Path(path)
    with _open(path) as container:
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate
        fps = float(rate) if rate else DEFAULT_FPS
        num_frames = stream.frames
        if num_frames <= 0:
            try:
                num_frames = sum(1 for packet in container.demux(stream) if packet.size > 0)
            except av.error.FFmpegError as err:
                raise InputError(f"{path}: corrupt video ({_first_line(err)})") from None
        if num_frames <= 0 or stream.width <= 0:
            raise InputError(f"{path}: video holds no frames")
        audio = container.streams.audio
        return VideoInfo(
            fps=fps,
            num_frames=int(num_frames),
            width=stream.width,
            height=stream.height,
            has_audio=bool(audio),
            audio_rate=audio[0].rate if audio else None,
        )


def iter_frames(path: str | Path) -> Iterator[np.ndarray]:
    """Decode frames one at a time as uint8 RGB (H, W, 3); memory stays flat however long the video."""
    path = Path(path)
    with _open(path) as container:
        count = 0
        try:
            for frame in container.decode(video=0):
                count += 1
                yield frame.to_ndarray(format="rgb24")
        except av.error.FFmpegError as err:
            raise InputError(f"{path}: corrupt video at frame {count} ({_first_line(err)})") from None
        if count == 0:
            raise InputError(f"{path}: video holds no decodable frames")


class VideoWriter:
    """Write RGB frames as H.264 (libx264, yuv420p) atomically: the file appears only when closed cleanly.

    yuv420p needs even sizes, so an odd width or height is padded by one replicated edge pixel.
    """

    def __init__(self, path: str | Path, fps: float, metadata: dict[str, str] | None = None, crf: int = 18):
        self.path = Path(path)
        self.fps = fps
        self.metadata = dict(metadata or {})
        self.crf = crf
        self._stack: ExitStack | None = None
        self._container: av.container.OutputContainer | None = None
        self._stream: av.video.stream.VideoStream | None = None

    def __enter__(self) -> VideoWriter:
        self._stack = ExitStack()
        tmp = self._stack.enter_context(atomic_path(self.path))
        self._container = av.open(str(tmp), mode="w")
        self._container.metadata.update(self.metadata)
        return self

    def write(self, frame: np.ndarray) -> None:
        """Append one uint8 RGB (H, W, 3) frame."""
        assert self._container is not None, "VideoWriter.write outside its with-block"
        assert frame.ndim == 3 and frame.shape[2] == 3 and frame.dtype == np.uint8, frame.shape
        pad_h, pad_w = frame.shape[0] % 2, frame.shape[1] % 2
        if pad_h or pad_w:
            frame = np.pad(frame, ((0, pad_h), (0, pad_w), (0, 0)), mode="edge")
        if self._stream is None:
            rate = Fraction(self.fps).limit_denominator(1001)
            self._stream = self._container.add_stream("libx264", rate=rate)
            self._stream.width, self._stream.height = frame.shape[1], frame.shape[0]
            self._stream.pix_fmt = "yuv420p"
            self._stream.options = {"crf": str(self.crf)}
        assert (frame.shape[1], frame.shape[0]) == (self._stream.width, self._stream.height), "size changed"
        for packet in self._stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")):
            self._container.mux(packet)

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        assert self._container is not None and self._stack is not None
        try:
            if exc_type is None:
                if self._stream is None:
                    raise InputError(f"{self.path}: no frames were written")
                for packet in self._stream.encode():
                    self._container.mux(packet)
            self._container.close()
        except BaseException as err:
            self._stack.__exit__(type(err), err, err.__traceback__)
            raise
        self._stack.__exit__(exc_type, exc, tb)


def _audio_frames(audio: str | Path | np.ndarray, sample_rate: int | None) -> Iterator[av.AudioFrame]:
    """Audio as PyAV frames: decoded from a file, or one planar float frame from a (ch, samples) array."""
    if isinstance(audio, np.ndarray):
        if sample_rate is None:
            raise InputError("mux_audio: an audio array needs its sample_rate")
        planar = np.ascontiguousarray(np.atleast_2d(audio), dtype=np.float32)
        layout = "mono" if len(planar) == 1 else "stereo"
        frame = av.AudioFrame.from_ndarray(planar, format="fltp", layout=layout)
        frame.sample_rate = sample_rate
        yield frame
        return
    path = Path(audio)
    if not path.is_file():
        raise InputError(f"{path}: no such audio file")
    try:
        with av.open(str(path)) as container:
            if not container.streams.audio:
                raise InputError(f"{path}: holds no audio stream")
            yield from container.decode(audio=0)
    except av.error.FFmpegError as err:
        raise InputError(f"{path}: cannot decode audio ({_first_line(err)})") from None


def mux_audio(
    video_path: str | Path,
    audio: str | Path | np.ndarray,
    out_path: str | Path,
    sample_rate: int | None = None,
) -> Path:
    """Copy the video stream of `video_path` (no re-encode) and add `audio` as an AAC track in `out_path`.

    The encoded frames carry their sample positions, so the encoder's priming delay (its first 1024 samples) gets
    a negative timestamp and the file's edit list tells decoders to drop it; without them every decoder returned
    the audio 64 ms (at 16 kHz) late against the picture."""
    video_path, out_path = Path(video_path), Path(out_path)
    with _open(video_path) as source, atomic_path(out_path) as tmp, av.open(str(tmp), mode="w") as out:
        video_in = source.streams.video[0]
        video_out = out.add_stream_from_template(video_in)
        audio_out = None
        resampler = fifo = None
        samples = 0

        def encode(chunk: av.AudioFrame | None) -> None:
            nonlocal samples
            if chunk is not None:
                chunk.pts, chunk.time_base = samples, Fraction(1, chunk.sample_rate)
                samples += chunk.samples
            out.mux(audio_out.encode(chunk))

        for frame in _audio_frames(audio, sample_rate):
            if audio_out is None:
                audio_out = out.add_stream("aac", rate=frame.sample_rate)
                audio_out.layout = "stereo" if frame.layout.nb_channels > 1 else "mono"
                resampler = av.AudioResampler(format="fltp", layout=audio_out.layout, rate=frame.sample_rate)
                fifo = av.AudioFifo()
            frame.pts = None
            for converted in resampler.resample(frame):
                fifo.write(converted)
            while (chunk := fifo.read(AAC_FRAME_SIZE)) is not None:
                encode(chunk)
        if audio_out is None:
            raise InputError(f"{audio}: holds no audio samples")
        if (rest := fifo.read()) is not None:
            encode(rest)
        encode(None)
        for packet in source.demux(video_in):
            if packet.dts is None:
                continue
            packet.stream = video_out
            out.mux(packet)
    return out_path

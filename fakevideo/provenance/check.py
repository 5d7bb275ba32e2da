"""Inspect a WAV or video file for a provenance label and the keyed watermarks (frames and audio track)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import av

from fakevideo.audio.io import load_audio
from fakevideo.errors import InputError
from fakevideo.provenance.audio_watermark import MIN_SAMPLE_RATE, detect_audio_watermark
from fakevideo.provenance.label import ProvenanceLabel
from fakevideo.provenance.spread import DEFAULT_KEY, Detection
from fakevideo.provenance.video import read_video_frames, read_video_label
from fakevideo.provenance.video_watermark import detect_video_watermark
from fakevideo.provenance.wav import read_wav, read_wav_label

AUDIO_SUFFIXES = (".wav",)
VIDEO_SUFFIXES = (".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi")
MAX_FRAMES = 150


@dataclass(frozen=True)
class CheckResult:
    """What a file says about itself (label) and what its content says (watermarks; None if not checkable).

    `watermark` is the mark in a WAV's samples or a video's frames; `audio_watermark` the mark in a video's
    audio track (None for WAVs and for videos without usable audio).
    """

    label: ProvenanceLabel | None
    watermark: Detection | None
    audio_watermark: Detection | None = None

    @property
    def synthetic(self) -> bool:
        """True when the file is labelled or either watermark is found."""
        marks = (self.watermark, self.audio_watermark)
        return self.label is not None or any(mark is not None and mark.detected for mark in marks)


def check_file(path: str | Path, key: str | bytes = DEFAULT_KEY) -> CheckResult:
    """Read the label and score the watermark of a WAV or video file; InputError if it cannot be read."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    suffix = path.suffix.lower()
    if suffix in AUDIO_SUFFIXES:
        audio, sample_rate = read_wav(path)
        checkable = sample_rate >= MIN_SAMPLE_RATE
        watermark = detect_audio_watermark(audio, sample_rate, key) if checkable else None
        return CheckResult(read_wav_label(path), watermark)
    if suffix in VIDEO_SUFFIXES:
        frames = read_video_frames(path, MAX_FRAMES)
        watermark = detect_video_watermark(frames, key) if frames else None
        return CheckResult(read_video_label(path), watermark, _audio_track_watermark(path, key))
    raise InputError(f"{path}: unsupported file type '{suffix}' (expected .wav or a video such as .mp4)")


def _audio_track_watermark(path: Path, key: str | bytes) -> Detection | None:
    """Score the mark in a video's first audio track; None when there is none or its rate is too low."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return None
    audio, sample_rate = load_audio(path)
    return detect_audio_watermark(audio, sample_rate, key) if sample_rate >= MIN_SAMPLE_RATE else None

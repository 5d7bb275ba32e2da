"""Bursts: short stretches of converted audio far louder than the speech around them (pops a listener cannot miss).

Levels are RMS over consecutive 5 ms frames. The speech level is the median over the utterance's speech frames
(`levels.speech_mask`); natural speech peaks about 10 dB above it. A burst is a run of consecutive frames more than
`margin_db` (20 dB by default) above that median; each run counts once, however long.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fakevideo.metrics.levels import audio_level_db, speech_mask

FRAME_SECONDS = 0.005
BURST_MARGIN_DB = 20.0


@dataclass(frozen=True)
class Burst:
    """One run of loud frames: where it starts, how long it lasts, its loudest frame over the speech level."""

    start_s: float
    duration_s: float
    over_speech_db: float


def _levels_over_speech(audio: np.ndarray, sample_rate: int) -> np.ndarray:
    """Frame levels in dB relative to the median speech frame (empty for audio shorter than a frame)."""
    level = audio_level_db(audio, sample_rate, FRAME_SECONDS)
    return level - np.median(level[speech_mask(level)]) if len(level) else level


def _runs_above(over: np.ndarray, margin_db: float) -> list[Burst]:
    loud = np.r_[False, over > margin_db, False].astype(np.int8)
    starts, ends = np.flatnonzero(np.diff(loud) == 1), np.flatnonzero(np.diff(loud) == -1)
    return [Burst(float(start * FRAME_SECONDS), float((end - start) * FRAME_SECONDS), float(over[start:end].max()))
            for start, end in zip(starts, ends, strict=True)]


def find_bursts(audio: np.ndarray, sample_rate: int, margin_db: float = BURST_MARGIN_DB) -> list[Burst]:
    """Every run of 5 ms frames more than `margin_db` above the median speech frame, in time order."""
    return _runs_above(_levels_over_speech(audio, sample_rate), margin_db)


def burst_metrics(audio: np.ndarray, sample_rate: int, margin_db: float = BURST_MARGIN_DB) -> dict[str, float]:
    """`bursts_per_minute` (runs more than `margin_db` above the median speech frame, per minute of audio) and
    `peak_over_speech_db` (the loudest frame over the median speech frame)."""
    over = _levels_over_speech(audio, sample_rate)
    if not len(over):
        return {"bursts_per_minute": 0.0, "peak_over_speech_db": 0.0}
    minutes = len(audio) / sample_rate / 60.0
    return {"bursts_per_minute": len(_runs_above(over, margin_db)) / minutes,
            "peak_over_speech_db": float(over.max())}

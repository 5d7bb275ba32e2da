"""Frame levels in dB and the one rule for which frames are speech, shared by every metric and detector.

A frame is speech when its level lies within `SPEECH_FLOOR_DB` of the utterance's loud-speech level: the level that
the loudest 1 % of the frames reach, and at least `LOUD_SPEECH_MIN_FRAMES` of them (100 ms at WORLD's 5 ms frames),
not the maximum. A burst (25 ms, smeared over ~10 frames by WORLD's analysis window) then cannot raise the
threshold and drop real speech: with the maximum, one burst moved a file's MCD by 18 dB; with a plain 99th
percentile a 25 ms burst in a 2 s sentence still moved it by 4-10 dB (measured on the demo corpus).
"""

from __future__ import annotations

import numpy as np

SPEECH_FLOOR_DB = 40.0
LOUD_SPEECH_FRACTION = 0.01
LOUD_SPEECH_MIN_FRAMES = 20
NEPER_TO_DB = 20.0 / np.log(10.0)


def loud_speech_level(level_db: np.ndarray) -> float:
    """The level (dB) reached by the loudest 1 % of the frames, and by at least LOUD_SPEECH_MIN_FRAMES of them (a
    fifth of the frames of an utterance too short for that, so its pauses still fall below the threshold)."""
    level_db = np.asarray(level_db, dtype=np.float64)
    at_least = max(1, min(LOUD_SPEECH_MIN_FRAMES, len(level_db) // 5))
    count = max(at_least, int(np.ceil(LOUD_SPEECH_FRACTION * len(level_db))))
    return float(np.partition(level_db, len(level_db) - count)[len(level_db) - count])


def speech_mask(level_db: np.ndarray, floor_db: float = SPEECH_FLOOR_DB) -> np.ndarray:
    """Boolean mask of frames whose level (dB) is within `floor_db` of the loud-speech level."""
    return np.asarray(level_db) > loud_speech_level(level_db) - floor_db


def mcep_level_db(mcep: np.ndarray) -> np.ndarray:
    """Per-frame level in dB of WORLD MCEPs [T, D]: c0 is the frame's log energy in nepers."""
    return NEPER_TO_DB * np.asarray(mcep)[:, 0]


def audio_level_db(audio: np.ndarray, sample_rate: int, frame_seconds: float) -> np.ndarray:
    """RMS level in dBFS of consecutive non-overlapping frames of `frame_seconds` (a partial last frame is dropped)."""
    frame = max(1, round(frame_seconds * sample_rate))
    count = len(audio) // frame
    frames = np.asarray(audio[: count * frame], dtype=np.float64).reshape(count, frame)
    return 10.0 * np.log10(np.mean(frames**2, axis=1) + 1e-20)

"""Mel-cepstral distortion in dB, the standard objective measure of converted spectra.

MCD = (10 / ln 10) * sqrt(2 * sum_{d>=1} (c_d - c'_d)^2) per frame; c0 (energy) is excluded. Converted and
target utterances are aligned by DTW on c1..cD, and the mean is taken over aligned frames. Silence is excluded by
dropping frames whose target c0 lies more than `silence_db_below_peak` under the utterance's loudest frame (WORLD
MCEPs' c0 is the log energy), so long pauses cannot dilute the number.
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from fakevideo.metrics.dtw import dtw_path

MCD_CONSTANT = 10.0 / np.log(10.0) * np.sqrt(2.0)


def frame_mcd(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Per-frame MCD of equally long MCEP sequences [T, D] (c0 excluded)."""
    return MCD_CONSTANT * np.sqrt(((a[:, 1:] - b[:, 1:]) ** 2).sum(axis=1))


def speech_frames(mcep: np.ndarray, silence_db_below_peak: float | None) -> np.ndarray:
    """Boolean mask of frames whose c0 (log energy, nepers) is within the given dB of the loudest frame."""
    if silence_db_below_peak is None:
        return np.ones(len(mcep), dtype=bool)
    level_db = 20.0 / np.log(10.0) * mcep[:, 0]
    return level_db > level_db.max() - silence_db_below_peak


def mel_cepstral_distortion(converted: np.ndarray, target: np.ndarray,
                            silence_db_below_peak: float | None = 40.0) -> float:
    """MCD in dB between a converted and a target utterance (DTW-aligned on c1..cD, silent frames dropped)."""
    keep_c, keep_t = speech_frames(converted, silence_db_below_peak), speech_frames(target, silence_db_below_peak)
    a, b = converted[keep_c], target[keep_t]
    path = dtw_path(a[:, 1:], b[:, 1:])
    return float(frame_mcd(a[path[:, 0]], b[path[:, 1]]).mean())


def mean_ci95(values: list[float] | np.ndarray) -> tuple[float, float]:
    """Mean and half-width of its 95 % confidence interval (Student t); half-width 0 for a single value."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return float(values.mean()), 0.0
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return float(values.mean()), float(half)

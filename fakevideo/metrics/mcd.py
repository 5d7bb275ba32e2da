"""Mel-cepstral distortion in dB, the standard objective measure of converted spectra.

MCD = (10 / ln 10) * sqrt(2 * sum_{d>=1} (c_d - c'_d)^2) per frame; c0 (energy) is excluded. Converted and
target utterances are aligned by DTW on c1..cD, and the mean is taken over aligned frames. Silence is excluded by
the shared speech rule on c0 (WORLD MCEPs' c0 is the log energy; see `levels.speech_mask`: within `floor_db` of the
utterance's loud-speech percentile, so neither long pauses nor one loud burst can move the number).
"""

from __future__ import annotations

import numpy as np
from scipy import stats

from fakevideo.metrics.dtw import dtw_path
from fakevideo.metrics.levels import SPEECH_FLOOR_DB, mcep_level_db, speech_mask

MCD_CONSTANT = 10.0 / np.log(10.0) * np.sqrt(2.0)

#: cepstral bands whose MCD is reported beside the full one, [first, stop): spectral tilt and broad shape, formant-scale
#: detail, fine structure. A generator and the linear baselines err in different bands (bench/RESULTS.md), and a
#: smoothed envelope gains only in the upper ones, so the bands say where a model's number comes from.
MCD_BANDS = {"mcd_c1_4": (1, 5), "mcd_c5_12": (5, 13), "mcd_c13_up": (13, None)}


def frame_mcd(a: np.ndarray, b: np.ndarray, first: int = 1, stop: int | None = None) -> np.ndarray:
    """Per-frame MCD of equally long MCEP sequences [T, D] over cepstra first..stop-1 (default: all but c0)."""
    return MCD_CONSTANT * np.sqrt(((a[:, first:stop] - b[:, first:stop]) ** 2).sum(axis=1))


def band_mcds(converted: np.ndarray, target: np.ndarray, alignment: tuple[np.ndarray, np.ndarray]) -> dict[str, float]:
    """MCD restricted to each of `MCD_BANDS`, on the frames `align_speech` paired for the full MCD."""
    index_c, index_t = alignment
    return {name: float(frame_mcd(converted[index_c], target[index_t], first, stop).mean())
            for name, (first, stop) in MCD_BANDS.items()}


def speech_frames(mcep: np.ndarray, floor_db: float | None = SPEECH_FLOOR_DB) -> np.ndarray:
    """Boolean mask of the speech frames of MCEPs [T, D] by their c0 (`levels.speech_mask`); all frames when
    `floor_db` is None."""
    if floor_db is None:
        return np.ones(len(mcep), dtype=bool)
    return speech_mask(mcep_level_db(mcep), floor_db)


def align_speech(converted: np.ndarray, target: np.ndarray,
                 floor_db: float | None = SPEECH_FLOOR_DB) -> tuple[np.ndarray, np.ndarray]:
    """Frame indices into `converted` and `target` of their DTW-aligned speech frames (DTW on c1..cD), so MCD and
    the F0 metrics compare the same frame pairs."""
    speech_c = np.flatnonzero(speech_frames(converted, floor_db))
    speech_t = np.flatnonzero(speech_frames(target, floor_db))
    path = dtw_path(converted[speech_c, 1:], target[speech_t, 1:])
    return speech_c[path[:, 0]], speech_t[path[:, 1]]


def mel_cepstral_distortion(converted: np.ndarray, target: np.ndarray, floor_db: float | None = SPEECH_FLOOR_DB,
                            alignment: tuple[np.ndarray, np.ndarray] | None = None) -> float:
    """MCD in dB between a converted and a target utterance (DTW-aligned on c1..cD, silent frames dropped); pass
    the `alignment` from `align_speech` when the caller needs it too (the F0 metrics compare the same frames)."""
    index_c, index_t = alignment if alignment is not None else align_speech(converted, target, floor_db)
    return float(frame_mcd(converted[index_c], target[index_t]).mean())


def mean_ci95(values: list[float] | np.ndarray) -> tuple[float, float]:
    """Mean and half-width of its 95 % confidence interval (Student t); half-width 0 for a single value."""
    values = np.asarray(values, dtype=float)
    if len(values) < 2:
        return float(values.mean()), 0.0
    half = stats.t.ppf(0.975, len(values) - 1) * values.std(ddof=1) / np.sqrt(len(values))
    return float(values.mean()), float(half)

"""Audio-visual sync of a talking face: does the mouth open when the voice is loud?

The speech envelope (audio level per video frame) is correlated with the mouth opening (inner-lip gap over the
inter-ocular distance, from 68 landmarks) at every offset within a window; the best offset and its correlation say
how far, and how well, the two agree. A real talking clip scores a clear peak near offset 0; a fake whose voice and
mouth were made apart shows a shifted or flat peak.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: 68-point landmark indices: inner upper lip (61-63) against inner lower lip (67-65), and the two eyes
INNER_LIP_PAIRS = ((61, 67), (62, 66), (63, 65))
LEFT_EYE, RIGHT_EYE = slice(36, 42), slice(42, 48)
#: frames quieter than this below the loudest are silence: their level differences are noise, not articulation
ENVELOPE_RANGE_DB = 50.0


@dataclass(frozen=True)
class SyncScore:
    """`offset_s` > 0: the audio lags the mouth by that much; `correlation` at that offset (Pearson, -1..1);
    `curve`: (offset_s, correlation) at every offset tried, for plots."""

    offset_s: float
    correlation: float
    curve: tuple[tuple[float, float], ...] = ()


def speech_envelope(audio: np.ndarray, sample_rate: int, fps: float, num_frames: int) -> np.ndarray:
    """Level in dB of the audio under each of `num_frames` video frames, floored ENVELOPE_RANGE_DB below its peak."""
    edges = np.round(np.arange(num_frames + 1) * sample_rate / fps).astype(int)
    power = np.array([np.mean(np.square(audio[a:b], dtype=np.float64)) if b > a else 0.0
                      for a, b in zip(edges[:-1], np.minimum(edges[1:], len(audio)), strict=True)])
    level = 10 * np.log10(np.maximum(power, 1e-12))
    return np.maximum(level, level.max() - ENVELOPE_RANGE_DB)


def mouth_opening(landmarks: np.ndarray) -> np.ndarray:
    """(T, 68, 2) landmarks (NaN where no face) -> (T,) inner-lip gap as a fraction of the inter-ocular distance."""
    gaps = np.mean([np.linalg.norm(landmarks[:, top] - landmarks[:, bottom], axis=-1)
                    for top, bottom in INNER_LIP_PAIRS], axis=0)
    eyes = np.linalg.norm(landmarks[:, LEFT_EYE].mean(axis=1) - landmarks[:, RIGHT_EYE].mean(axis=1), axis=-1)
    return gaps / eyes


def _correlation(a: np.ndarray, b: np.ndarray) -> float:
    keep = np.isfinite(a) & np.isfinite(b)
    if keep.sum() < 3 or np.std(a[keep]) == 0 or np.std(b[keep]) == 0:
        return float("nan")
    return float(np.corrcoef(a[keep], b[keep])[0, 1])


def sync_score(envelope: np.ndarray, opening: np.ndarray, fps: float, max_offset_s: float = 0.5) -> SyncScore:
    """The offset within +/- `max_offset_s` at which the envelope best follows the mouth opening."""
    length = min(len(envelope), len(opening))
    envelope, opening = envelope[:length], opening[:length]
    max_lag = min(int(round(max_offset_s * fps)), length - 3)
    curve = []
    for lag in range(-max_lag, max_lag + 1):  # envelope[t + lag] against opening[t]
        if lag >= 0:
            curve.append((lag / fps, _correlation(envelope[lag:], opening[:length - lag])))
        else:
            curve.append((lag / fps, _correlation(envelope[:length + lag], opening[-lag:])))
    found = [point for point in curve if np.isfinite(point[1])]
    offset, correlation = max(found, key=lambda point: point[1]) if found else (float("nan"), float("nan"))
    return SyncScore(offset, correlation, tuple(curve))

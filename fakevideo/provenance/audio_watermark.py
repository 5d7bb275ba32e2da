"""Inaudible keyed audio watermark: a band-limited spread-spectrum sequence riding on the speech envelope.

The pattern is defined at a 16 kHz reference rate (period 4096 samples, 2-7 kHz, where speech has little
energy yet any speech codec or resampler keeps it) and resampled to the file's rate, so a mark written at
22.05 kHz is found after conversion to 16 kHz and back. Its amplitude follows the local RMS of the signal
at `strength_db` below it: silent in pauses, and the watermarked/original SNR is about -strength_db.
"""

from __future__ import annotations

import functools

import numpy as np
import torch
import torchaudio.functional as AF
from scipy.ndimage import uniform_filter1d

from fakevideo.errors import InputError
from fakevideo.provenance.spread import (
    DEFAULT_KEY,
    Detection,
    band_pattern,
    correlation_score,
    fold,
    keyed_rng,
)

REFERENCE_RATE = 16_000
PERIOD = 4096
BAND_HZ = (2000.0, 7000.0)
MIN_SAMPLE_RATE = 16_000
ENVELOPE_SECONDS = 0.02
DEFAULT_STRENGTH_DB = -35.0


def _band() -> np.ndarray:
    freqs = np.abs(np.fft.fftfreq(PERIOD, d=1.0 / REFERENCE_RATE))
    return (freqs >= BAND_HZ[0]) & (freqs <= BAND_HZ[1])


@functools.lru_cache(maxsize=8)
def _pattern(key: str | bytes) -> np.ndarray:
    return band_pattern(keyed_rng(key, "audio"), _band())


def _resample(signal: np.ndarray, orig_rate: int, new_rate: int) -> np.ndarray:
    if orig_rate == new_rate:
        return signal
    tensor = torch.from_numpy(np.ascontiguousarray(signal, dtype=np.float64))
    return AF.resample(tensor, orig_rate, new_rate).numpy()


def _check_rate(sample_rate: int) -> None:
    if sample_rate < MIN_SAMPLE_RATE:
        raise InputError(f"sample rate {sample_rate} Hz is below the watermark minimum, {MIN_SAMPLE_RATE}")


def audio_watermark_signal(num_samples: int, sample_rate: int, key: str | bytes = DEFAULT_KEY) -> np.ndarray:
    """The unit-RMS keyed carrier for `num_samples` samples at `sample_rate`, before envelope shaping."""
    _check_rate(sample_rate)
    ref_len = int(np.ceil(num_samples * REFERENCE_RATE / sample_rate)) + 1
    carrier = _resample(np.resize(_pattern(key), ref_len), REFERENCE_RATE, sample_rate)
    return carrier[:num_samples]


def embed_audio_watermark(
    audio: np.ndarray,
    sample_rate: int,
    key: str | bytes = DEFAULT_KEY,
    strength_db: float = DEFAULT_STRENGTH_DB,
) -> np.ndarray:
    """Return float64 `audio` (samples, or samples x channels) with the keyed watermark added."""
    audio = np.asarray(audio, dtype=np.float64)
    carrier = audio_watermark_signal(audio.shape[0], sample_rate, key)
    window = max(1, round(ENVELOPE_SECONDS * sample_rate))
    envelope = np.sqrt(np.maximum(uniform_filter1d(audio**2, window, axis=0), 0.0))
    if audio.ndim == 2:
        carrier = carrier[:, None]
    return audio + 10.0 ** (strength_db / 20.0) * envelope * carrier


def detect_audio_watermark(audio: np.ndarray, sample_rate: int, key: str | bytes = DEFAULT_KEY) -> Detection:
    """Score the keyed watermark in `audio` (any rate >= 16 kHz, mono or samples x channels)."""
    _check_rate(sample_rate)
    audio = np.asarray(audio, dtype=np.float64)
    mono = audio.mean(axis=1) if audio.ndim == 2 else audio
    reference = _resample(mono, sample_rate, REFERENCE_RATE)
    return Detection(correlation_score(fold(reference, (PERIOD,)), _pattern(key), _band()))

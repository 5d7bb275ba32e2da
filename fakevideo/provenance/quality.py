"""What the watermark costs: PSNR/SSIM for frames, SNR and mel-cepstral distortion for audio."""

from __future__ import annotations

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity

from fakevideo.audio.world import WorldConfig, analyze
from fakevideo.metrics.mcd import frame_mcd, speech_frames


def frame_psnr(original: np.ndarray, marked: np.ndarray) -> float:
    """PSNR in dB of a uint8 frame against its original."""
    return float(peak_signal_noise_ratio(original, marked, data_range=255))


def frame_ssim(original: np.ndarray, marked: np.ndarray) -> float:
    """Mean SSIM of a uint8 RGB frame against its original (channels averaged)."""
    return float(structural_similarity(original, marked, channel_axis=-1, data_range=255))


def audio_snr_db(original: np.ndarray, marked: np.ndarray) -> float:
    """Signal-to-noise ratio in dB, treating `marked - original` as the noise."""
    original = np.asarray(original, dtype=np.float64)
    noise = np.asarray(marked, dtype=np.float64) - original
    return float(10.0 * np.log10(np.sum(original**2) / np.sum(noise**2)))


def audio_mcd_db(original: np.ndarray, marked: np.ndarray, sample_rate: int, f0_method: str = "dio") -> float:
    """Mean MCD in dB between the WORLD MCEPs of a mono signal and its marked copy, over speech frames.

    The two are sample-aligned, so frames are compared one to one (no DTW), which isolates the mark's cost.
    """
    cfg = WorldConfig(sample_rate=sample_rate, f0_method=f0_method)
    clean, noisy = analyze(original, cfg).mcep, analyze(marked, cfg).mcep
    speech = speech_frames(clean)
    return float(frame_mcd(clean[speech], noisy[speech]).mean())

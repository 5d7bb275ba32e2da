"""What the watermark costs: PSNR/SSIM for frames, SNR for audio."""

from __future__ import annotations

import numpy as np
from skimage.metrics import peak_signal_noise_ratio, structural_similarity


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

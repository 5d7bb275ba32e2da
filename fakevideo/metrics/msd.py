"""Modulation spectrum distance: RMS difference of the log modulation spectra of MCEP trajectories.

The modulation spectrum of dimension d is |FFT_t(c_d(t))|^2 over a trajectory; over-smoothed converted speech
loses its high modulation frequencies, which MSD exposes and MCD does not. FFT length: 512 frames (2.56 s at
5 ms), zero-padded or cropped; the mean over utterances of the per-dimension spectra is compared (c0 excluded).
"""

from __future__ import annotations

import numpy as np

FFT_LENGTH = 512


def log_modulation_spectrum(mceps: list[np.ndarray], fft_length: int = FFT_LENGTH) -> np.ndarray:
    """Mean over utterances of the log power modulation spectrum, [fft_length // 2 + 1, D - 1]."""
    spectra = [np.abs(np.fft.rfft(m[:, 1:] - m[:, 1:].mean(0), n=fft_length, axis=0)) ** 2 for m in mceps]
    return np.log(np.mean(spectra, axis=0) + 1e-10)


def modulation_spectrum_distance(converted: list[np.ndarray], target: list[np.ndarray]) -> float:
    """RMS over modulation frequencies and dimensions of the log modulation spectrum difference."""
    diff = log_modulation_spectrum(converted) - log_modulation_spectrum(target)
    return float(np.sqrt((diff**2).mean()))

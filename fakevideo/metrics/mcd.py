"""Mel-cepstral distortion (placeholder until the metrics branch lands)."""

import numpy as np


def mel_cepstral_distortion(converted: np.ndarray, target: np.ndarray) -> float:
    n = min(len(converted), len(target))
    diff = converted[:n, 1:] - target[:n, 1:]
    return float(np.mean(10 / np.log(10) * np.sqrt(2 * (diff ** 2).sum(1))))

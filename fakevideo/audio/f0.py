"""Log-F0 statistics and the Gaussian-normalised log-F0 conversion used by every WORLD-based VC system."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class LogF0Stats:
    """Mean and standard deviation of log F0 over a speaker's voiced frames."""

    mean: float
    std: float

    @classmethod
    def from_contours(cls, contours: list[np.ndarray]) -> LogF0Stats:
        voiced = np.concatenate([np.log(f0[f0 > 0]) for f0 in contours])
        assert voiced.size > 1, "log-F0 statistics need voiced frames"
        return cls(mean=float(voiced.mean()), std=float(voiced.std()))


def convert_f0(f0: np.ndarray, source: LogF0Stats, target: LogF0Stats) -> np.ndarray:
    """Map voiced frames so their log F0 has the target's mean and spread; unvoiced frames stay 0."""
    out = np.zeros_like(f0)
    voiced = f0 > 0
    z = (np.log(f0[voiced]) - source.mean) / max(source.std, 1e-8)
    out[voiced] = np.exp(z * target.std + target.mean)
    return out

"""WORLD vocoder analysis/synthesis (pyworld) and MCEP coding: the feature space every VC model works in."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Literal

import numpy as np
import pyworld

from fakevideo.errors import ConfigError

F0Method = Literal["harvest", "dio"]


@dataclass(frozen=True)
class WorldConfig:
    """Everything that changes the features; its fields key the feature cache and travel inside checkpoints."""

    sample_rate: int = 16000
    frame_period: float = 5.0
    mcep_dim: int = 36
    f0_method: F0Method = "harvest"
    f0_floor: float = 71.0
    f0_ceil: float = 800.0

    def __post_init__(self) -> None:
        if self.f0_method not in ("harvest", "dio"):
            raise ConfigError(f"features.f0_method={self.f0_method!r}: choose 'harvest' or 'dio'")
        if self.sample_rate < 8000:
            raise ConfigError(f"features.sample_rate={self.sample_rate}: must be at least 8000 Hz")
        if not 0 < self.frame_period <= 50:
            raise ConfigError(f"features.frame_period={self.frame_period}: must be in (0, 50] ms")
        if not 8 <= self.mcep_dim <= 128:
            raise ConfigError(f"features.mcep_dim={self.mcep_dim}: must be in [8, 128]")

    @property
    def fft_size(self) -> int:
        return pyworld.get_cheaptrick_fft_size(self.sample_rate, self.f0_floor)

    @property
    def hop_length(self) -> int:
        """Samples per frame, so frames * hop_length is the synthesised length."""
        return int(round(self.sample_rate * self.frame_period / 1000.0))

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class WorldFeatures:
    """Frame-synchronous WORLD features: f0 [T] in Hz (0 = unvoiced), mcep [T, D], aperiodicity [T, K]."""

    f0: np.ndarray
    mcep: np.ndarray
    ap: np.ndarray

    @property
    def num_frames(self) -> int:
        return len(self.f0)


def extract_f0(audio: np.ndarray, cfg: WorldConfig) -> tuple[np.ndarray, np.ndarray]:
    """F0 contour and frame times: harvest (robust, slow) or dio refined by stonemask (fast)."""
    x = np.ascontiguousarray(audio, dtype=np.float64)
    kwargs = dict(f0_floor=cfg.f0_floor, f0_ceil=cfg.f0_ceil, frame_period=cfg.frame_period)
    if cfg.f0_method == "harvest":
        return pyworld.harvest(x, cfg.sample_rate, **kwargs)
    f0, times = pyworld.dio(x, cfg.sample_rate, **kwargs)
    return pyworld.stonemask(x, f0, times, cfg.sample_rate), times


def analyze(audio: np.ndarray, cfg: WorldConfig, code_aperiodicity: bool = True) -> WorldFeatures:
    """WORLD analysis: F0, CheapTrick envelope coded to `mcep_dim` MCEPs, D4C aperiodicity.

    With `code_aperiodicity` the aperiodicity is stored in WORLD's few-band code (compact, for caches);
    conversion of user files keeps the full-resolution aperiodicity instead.
    """
    x = np.ascontiguousarray(audio, dtype=np.float64)
    f0, times = extract_f0(x, cfg)
    sp = pyworld.cheaptrick(x, f0, times, cfg.sample_rate, fft_size=cfg.fft_size)
    ap = pyworld.d4c(x, f0, times, cfg.sample_rate, fft_size=cfg.fft_size)
    mcep = pyworld.code_spectral_envelope(sp, cfg.sample_rate, cfg.mcep_dim)
    if code_aperiodicity:
        ap = pyworld.code_aperiodicity(ap, cfg.sample_rate)
    return WorldFeatures(f0=f0.astype(np.float32), mcep=mcep.astype(np.float32), ap=ap.astype(np.float32))


def synthesize(f0: np.ndarray, mcep: np.ndarray, ap: np.ndarray, cfg: WorldConfig) -> np.ndarray:
    """WORLD synthesis from F0, MCEPs and (coded or full) aperiodicity; returns float32 audio."""
    fft_size = cfg.fft_size
    sp = pyworld.decode_spectral_envelope(np.ascontiguousarray(mcep, dtype=np.float64), cfg.sample_rate, fft_size)
    ap = np.ascontiguousarray(ap, dtype=np.float64)
    if ap.shape[1] != fft_size // 2 + 1:
        ap = pyworld.decode_aperiodicity(ap, cfg.sample_rate, fft_size)
    f0 = np.ascontiguousarray(f0, dtype=np.float64)
    audio = pyworld.synthesize(f0, sp, ap, cfg.sample_rate, cfg.frame_period)
    return audio.astype(np.float32)

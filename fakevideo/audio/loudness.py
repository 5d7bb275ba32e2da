"""Frame loudness of WORLD spectral envelopes, and the limit that keeps converted speech's loudness on the source's.

Why: a generator's converted envelopes can jump 15-30 dB between consecutive 5 ms frames where the source's are
flat (undertrained StarGAN-VC2: c0 modulation above 50 Hz at -9 dB against -30 dB in natural speech), mostly
too quiet with some frames far too loud. WORLD renders each pitch pulse with its frame's envelope, so a pulse on a
spiked frame comes out as a click up to full scale: the bursts of issue 20. Each MCEP stays inside the target
speaker's training range while this happens, so clamping dimensions cannot stop it; bounding each frame's level
around the source's level, mapped to the target speaker, does.
"""

from __future__ import annotations

import numpy as np
import pyworld

from fakevideo.audio.world import WorldConfig

DB_PER_C0 = 10.0 / np.log(10.0)  # adding 1 to WORLD's c0 multiplies the decoded power envelope by e


def envelope_level_db(mcep: np.ndarray, cfg: WorldConfig) -> np.ndarray:
    """Per-frame level in dB of the power envelope that MCEPs [T, D] decode to (its mean over frequency)."""
    sp = pyworld.decode_spectral_envelope(np.ascontiguousarray(mcep, dtype=np.float64), cfg.sample_rate,
                                          cfg.fft_size)
    return 10.0 * np.log10(sp.mean(axis=1) + 1e-30)


def follow_level(converted: np.ndarray, reference: np.ndarray, cfg: WorldConfig, margin_db: float) -> np.ndarray:
    """`converted` MCEPs [T, D] with each frame's envelope level moved to within `margin_db` of the same frame of
    `reference` (the source mapped to the target speaker). Only c0 changes, so the spectral shape stays the model's."""
    difference = envelope_level_db(converted, cfg) - envelope_level_db(reference, cfg)
    limited = converted.copy()
    limited[:, 0] -= (difference - np.clip(difference, -margin_db, margin_db)) / DB_PER_C0
    return limited

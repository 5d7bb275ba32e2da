"""Validation figures show decoded spectral envelopes in dB on one colour scale, with F0 contours under them."""

from __future__ import annotations

import numpy as np
import pyworld

from fakevideo.audio.figures import DYNAMIC_RANGE_DB, envelope_db, envelope_figure
from fakevideo.audio.world import WorldConfig


def _mcep_of(envelope: np.ndarray, cfg: WorldConfig) -> np.ndarray:
    return pyworld.code_spectral_envelope(envelope, cfg.sample_rate, cfg.mcep_dim)


def test_envelope_is_decoded_to_db_over_frequency():
    cfg = WorldConfig(sample_rate=16000)
    bins = cfg.fft_size // 2 + 1
    formant = np.exp(-0.5 * ((np.arange(bins) - bins // 4) / 10.0) ** 2)  # one peak at 2 kHz
    envelope = np.tile(1e-4 + formant, (20, 1))
    decoded = envelope_db(_mcep_of(envelope, cfg), cfg)
    assert decoded.shape == (20, bins)
    assert abs(int(decoded[0].argmax()) - bins // 4) <= 2  # the formant stays where it was, in Hz
    assert decoded[0].max() - decoded[0].min() > 30  # a readable contrast, not one flat colour


def test_panels_share_one_colour_scale_and_show_f0_only_where_voiced():
    cfg = WorldConfig(sample_rate=16000)
    bins = cfg.fft_size // 2 + 1
    quiet, loud = np.full((30, bins), 1e-6), np.full((30, bins), 1e-2)
    f0 = np.where(np.arange(30) % 10 < 5, 120.0, 0.0)
    figure = envelope_figure({"source": (_mcep_of(quiet, cfg), f0), "converted": (_mcep_of(loud, cfg), f0 * 2),
                              "target": (_mcep_of(loud, cfg), None)}, cfg)
    images = [axis.images[0] for axis in figure.axes if axis.images]
    assert len(images) == 3 and len({image.get_clim() for image in images}) == 1
    low, high = images[0].get_clim()
    assert high - low == DYNAMIC_RANGE_DB and abs(high - 10 * np.log10(1e-2)) < 1.0
    lines = [axis.lines[0].get_ydata() for axis in figure.axes if axis.lines]
    assert len(lines) == 2 and np.isnan(lines[0][5:10]).all() and np.nanmax(lines[1]) == 240.0
    assert any(axis.get_label() == "<colorbar>" for axis in figure.axes)

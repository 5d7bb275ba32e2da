"""Figures a speech researcher reads: log spectral envelopes on one colour scale, F0 contours under them.

Raw MCEP images are unreadable (c0, the log energy, dominates the colour scale and the rest is one flat colour);
the decoded WORLD envelope in dB over frequency in Hz shows formants and how far a conversion moved them.
"""

from __future__ import annotations

import numpy as np
import pyworld
from matplotlib.figure import Figure

from fakevideo.audio.world import WorldConfig

#: colour range below the loudest envelope bin of the figure; quieter bins are clipped to the floor colour
DYNAMIC_RANGE_DB = 80.0


def envelope_db(mcep: np.ndarray, cfg: WorldConfig) -> np.ndarray:
    """[T, D] mel-cepstrum -> [T, fft_size/2 + 1] spectral envelope in dB (WORLD's own decoding)."""
    envelope = pyworld.decode_spectral_envelope(np.ascontiguousarray(mcep, dtype=np.float64), cfg.sample_rate,
                                                cfg.fft_size)
    return 10.0 * np.log10(np.maximum(envelope, 1e-20))


def envelope_figure(panels: dict[str, tuple[np.ndarray, np.ndarray | None]], cfg: WorldConfig) -> Figure:
    """One column per panel (title -> (mcep [T, D], f0 [T] or None)): envelope above, F0 below, one colour bar."""
    envelopes = {title: envelope_db(mcep, cfg) for title, (mcep, _) in panels.items()}
    top = max(float(e.max()) for e in envelopes.values())
    figure = Figure(figsize=(4 * len(panels) + 1, 4.5), layout="constrained")
    grid = figure.add_gridspec(2, len(panels), height_ratios=(3, 1))
    image = None
    f0_axes = []
    for column, (title, envelope) in enumerate(envelopes.items()):
        seconds = len(envelope) * cfg.frame_period / 1000
        axis = figure.add_subplot(grid[0, column])
        image = axis.imshow(envelope.T, aspect="auto", origin="lower", cmap="magma", vmin=top - DYNAMIC_RANGE_DB,
                            vmax=top, extent=(0, seconds, 0, cfg.sample_rate / 2000))
        axis.set(title=title, ylabel="kHz" if column == 0 else None)
        f0 = panels[title][1]
        f0_axis = figure.add_subplot(grid[1, column], sharex=axis)
        if f0 is not None:
            times = np.arange(len(f0)) * cfg.frame_period / 1000
            f0_axis.plot(times, np.where(f0 > 0, f0, np.nan), color="tab:blue", linewidth=1)
        f0_axis.set(xlabel="s", ylabel="F0 (Hz)" if column == 0 else None)
        f0_axes.append(f0_axis)
    voiced_limits = [a.get_ylim() for a in f0_axes if a.lines]
    for f0_axis in f0_axes:  # one F0 scale too, so pitch shifts are visible across panels
        if voiced_limits:
            f0_axis.set_ylim(min(lo for lo, _ in voiced_limits), max(hi for _, hi in voiced_limits))
    figure.colorbar(image, ax=figure.axes[0::2], label="dB", shrink=0.9)
    return figure

"""Datasets: the built-in demo corpora, the WORLD feature cache and the Lightning datamodules."""

from __future__ import annotations

from fakevideo.errors import ConfigError, check_positive_int


def check_loader_knobs(batch_size: int, samples_per_epoch: int, **counts: int) -> None:
    """A datamodule's sizes are positive integers and an epoch holds at least one batch; otherwise one line naming
    the `data.` key, where a DataLoader or Lightning would fail with a traceback (or loop over empty epochs)."""
    for key, value in {"batch_size": batch_size, "samples_per_epoch": samples_per_epoch, **counts}.items():
        check_positive_int(f"data.{key}", value)
    if samples_per_epoch < batch_size:
        raise ConfigError(f"data.samples_per_epoch={samples_per_epoch}: less than one batch of "
                          f"data.batch_size={batch_size}")

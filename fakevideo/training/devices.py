"""Check `trainer.devices` against the machine before Lightning starts anything.

Lightning takes `trainer.devices=99` with `accelerator=cpu` at its word and starts 99 DDP processes on two cores,
which exhausts memory and never trains; on GPUs it fails deep inside its connector. Asking for more devices than
the machine has is a typo, reported here as one line naming the key.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import torch

from fakevideo.errors import ConfigError

GPU_ACCELERATORS = ("gpu", "cuda")


def available_devices(accelerator: str) -> tuple[int, str]:
    """How many devices `accelerator` has on this machine, and what they are (Lightning's `auto` takes the GPUs
    when there are any, else the CPU)."""
    gpus = torch.cuda.device_count()
    if accelerator in GPU_ACCELERATORS or (accelerator == "auto" and gpus > 0):
        return gpus, "CUDA GPU(s)"
    return os.cpu_count() or 1, "CPU core(s)"


def requested_devices(devices: object) -> int | list[int] | None:
    """`trainer.devices` as Lightning reads it: a count (int or "N"), device indices (a list or "0,1"), or None for
    all of them (`auto`, -1). ValueError/TypeError for anything else."""
    if isinstance(devices, str):
        text = devices.strip()
        if text in ("auto", "-1"):
            return None
        return [int(part) for part in text.split(",") if part.strip()] if "," in text else int(text)
    if isinstance(devices, Sequence):
        return [int(index) for index in devices]
    if isinstance(devices, bool) or not isinstance(devices, int):
        raise TypeError(devices)
    return None if devices == -1 else devices


def check_devices(accelerator: str, devices: object) -> None:
    """ConfigError when `trainer.devices` asks for more devices (or other indices) than this machine has."""
    accelerator = str(accelerator).lower()
    if accelerator not in ("auto", "cpu", *GPU_ACCELERATORS):
        return  # TPUs, MPS and custom accelerators: Lightning checks those itself
    try:
        wanted = requested_devices(devices)
    except (TypeError, ValueError):
        raise ConfigError(f"trainer.devices={devices!r}: must be a count, a list of device indices, -1 or "
                          "'auto'") from None
    available, kind = available_devices(accelerator)
    if available == 0:
        raise ConfigError(f"trainer.accelerator={accelerator}: this machine has no CUDA GPU (train with "
                          "trainer=cpu)")
    if wanted is None:
        return
    if isinstance(wanted, int):
        fits = 1 <= wanted <= available
    else:
        fits = bool(wanted) and all(0 <= index < available for index in wanted)
    if not fits:
        raise ConfigError(f"trainer.devices={devices!r}: this machine has {available} {kind} for "
                          f"trainer.accelerator={accelerator}; ask for 1 to {available}, or -1 / 'auto' for all")

"""Pools for CPU-bound per-file work. pyworld, soxr, libsndfile and torch all release the GIL, so threads and
processes scale alike (measured: 1.88x vs 1.87x for 2 feature workers on 2 cores). Corpus feature extraction
uses processes, so that one bad file crashing the analysis cannot take a long run down with it; conversion of a
folder uses threads, which share the loaded model and start at once."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterator
from contextlib import contextmanager


def worker_count(requested: int | None, jobs: int | None = None, jobs_per_worker: int = 1) -> int:
    """`requested` processes (at most one per job); when None/0, every core, but only as many workers as have
    `jobs_per_worker` jobs each, since starting a pool costs seconds that a few short jobs do not repay."""
    limit = jobs if jobs is not None else float("inf")
    if requested:
        return max(1, min(requested, limit))
    cores = os.cpu_count() or 1
    return max(1, min(cores, limit // jobs_per_worker))


def worker_context(*preload: str) -> multiprocessing.context.BaseContext:
    """Workers come from a clean fork server, not a fork of this (possibly multi-threaded) process, which can
    deadlock on locks held by torch or logging threads; the server imports `preload` modules once for all."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    return context


@contextmanager
def torch_threads(count: int) -> Iterator[None]:
    """torch's intra-op thread count set to `count` for a block, then restored: a pool of N threads each
    running torch on one core, instead of N x all-cores threads fighting over the same cores."""
    import torch  # here, so that feature workers importing this module never load torch

    previous = torch.get_num_threads()
    torch.set_num_threads(count)
    try:
        yield
    finally:
        torch.set_num_threads(previous)

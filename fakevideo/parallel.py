"""Process pools for CPU-bound per-file work (WORLD analysis and synthesis release no GIL worth having)."""

from __future__ import annotations

import multiprocessing
import os


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

"""Process pools for CPU-bound per-file work (WORLD analysis and synthesis release no GIL worth having)."""

from __future__ import annotations

import multiprocessing
import os


def worker_count(requested: int | None) -> int:
    """`requested` processes, or every core when None/0."""
    return requested or os.cpu_count() or 1


def worker_context(*preload: str) -> multiprocessing.context.BaseContext:
    """Workers come from a clean fork server, not a fork of this (possibly multi-threaded) process, which can
    deadlock on locks held by torch or logging threads; the server imports `preload` modules once for all."""
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload(list(preload))
    return context

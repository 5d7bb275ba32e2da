"""How many workers, and which kind, for CPU-bound per-file work and for DataLoaders; and two helpers that
overlap producing or consuming a stream with the caller's work on one background thread.

pyworld, soxr, libsndfile, dlib and torch all release the GIL, so threads and processes scale alike (2 feature
workers on 2 cores: 6.39 s as threads, 6.34 s as processes). Corpus feature extraction uses processes, so that
one bad file crashing the analysis cannot take a long run down with it; folder conversion and face detection use
threads, which share the loaded models and start at once."""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from fakevideo.errors import ConfigError

T = TypeVar("T")


def worker_count(requested: int | None, jobs: int | None = None) -> int:
    """`requested` workers, or every core when None/0; never more than there are jobs."""
    limit = jobs if jobs is not None else float("inf")
    return int(max(1, min(requested or os.cpu_count() or 1, limit)))


def loader_workers(requested: int | None, gpu: bool) -> int:
    """DataLoader worker processes: as many as `requested`, else none when the model trains on the CPU (it already
    uses every core: 2 workers on 2 cores made a 256 px face batch slower, 23 vs 20 ms) and up to 8 when a GPU
    trains, one core left to the trainer, so that building batches overlaps the GPU's steps."""
    if requested is not None:
        if requested < 0:
            raise ConfigError(f"data.num_workers={requested}: must be 0 or more (or null for the default)")
        return requested
    return min(8, max(0, (os.cpu_count() or 1) - 1)) if gpu else 0


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


def prefetch(items: Iterable[T], depth: int) -> Iterator[T]:
    """`items` in order, each produced up to `depth` items ahead on a background thread, so that producing the
    next ones (decoding video frames: FFmpeg releases the GIL) overlaps the consumer's work on this one. The
    producer's exceptions reach the consumer; closing this generator stops the producer."""
    iterator, end = iter(items), object()
    pool = ThreadPoolExecutor(1, thread_name_prefix="prefetch")  # one thread: next() calls stay in order
    try:
        pending = deque(pool.submit(next, iterator, end) for _ in range(depth))
        while (item := pending.popleft().result()) is not end:
            pending.append(pool.submit(next, iterator, end))
            yield item
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


@contextmanager
def in_background(call: Callable[[T], object], depth: int) -> Iterator[Callable[[T], None]]:
    """A function that queues `call(item)` on a background thread (in order, at most `depth` queued) and returns
    at once, so that writing results (encoding video: FFmpeg releases the GIL) overlaps the caller's next work.
    A failed call raises in the caller at a later submit or when the block ends; the block ends only after
    every queued call has run."""
    pool = ThreadPoolExecutor(1, thread_name_prefix="background")
    pending: deque[Future] = deque()

    def submit(item: T) -> None:
        while pending and (len(pending) >= depth or pending[0].done()):
            pending.popleft().result()
        pending.append(pool.submit(call, item))

    try:
        yield submit
        while pending:
            pending.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)

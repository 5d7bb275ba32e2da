"""WORLD feature extraction of a corpus: worker scaling, cached re-run, overhead over pyworld, peak memory.

    PYTHONPATH=. python bench/preprocess.py [--utterances 60] [--f0 harvest|dio] [--workers 1 2] [--repeats 2]

On the demo corpus (synthetic speech, built on first use), each configuration runs in a fresh process so its
peak RSS (the process and its pool workers) is its own. The baseline is the sum of pyworld's own calls on the
same audio (F0, stonemask for dio, cheaptrick, d4c, MCEP and aperiodicity coding), timed in one process. Every
timing is the best of `--repeats` runs: a 2-core VM's run-to-run noise (about +-8 %) would otherwise decide the
worker speed-up's second digit.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import pyworld

from fakevideo.audio.io import load_audio
from fakevideo.audio.world import WorldConfig
from fakevideo.data.demo import build_demo_corpus
from fakevideo.data.features import extract_corpus


def corpus_files(root: Path, count: int) -> list[Path]:
    """The first `count` utterances, taken round-robin over speakers so every voice is represented."""
    by_speaker = [sorted(folder.glob("*.wav")) for folder in sorted(p for p in root.iterdir() if p.is_dir())]
    files = [f for group in zip(*by_speaker, strict=False) for f in group]
    return files[:count]


def pyworld_seconds(files: list[Path], cfg: WorldConfig) -> float:
    """Seconds spent inside pyworld analysing `files` (audio loading and resampling excluded)."""
    total = 0.0
    for path in files:
        x = np.ascontiguousarray(load_audio(path, cfg.sample_rate)[0], dtype=np.float64)
        kwargs = dict(f0_floor=cfg.f0_floor, f0_ceil=cfg.f0_ceil, frame_period=cfg.frame_period)
        start = time.perf_counter()
        if cfg.f0_method == "harvest":
            f0, t = pyworld.harvest(x, cfg.sample_rate, **kwargs)
        else:
            f0, t = pyworld.dio(x, cfg.sample_rate, **kwargs)
            f0 = pyworld.stonemask(x, f0, t, cfg.sample_rate)
        sp = pyworld.cheaptrick(x, f0, t, cfg.sample_rate, fft_size=cfg.fft_size)
        ap = pyworld.d4c(x, f0, t, cfg.sample_rate, fft_size=cfg.fft_size)
        pyworld.code_spectral_envelope(sp, cfg.sample_rate, cfg.mcep_dim)
        pyworld.code_aperiodicity(ap, cfg.sample_rate)
        total += time.perf_counter() - start
    return total


class TreeMemory:
    """Peak resident memory of this process's descendants (pool workers and the fork server that spawns them),
    sampled from /proc every 50 ms: `RUSAGE_CHILDREN` cannot see them, since forkserver workers are
    grandchildren that this process never reaps. Reports the largest single descendant and the largest sum."""

    def __init__(self, interval: float = 0.05):
        self.interval, self.largest_mib, self.total_mib = interval, 0.0, 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        while not self._stop.wait(self.interval):
            sizes = [rss_mib(pid) for pid in descendants(os.getpid())]
            self.largest_mib = max([self.largest_mib, *sizes])
            self.total_mib = max(self.total_mib, sum(sizes))


def descendants(pid: int) -> list[int]:
    """Every process below `pid` (Linux /proc/<pid>/task/<tid>/children)."""
    found, stack = [], [pid]
    while stack:
        for task in Path(f"/proc/{stack.pop()}/task").glob("*/children"):
            try:
                children = [int(c) for c in task.read_text().split()]
            except OSError:  # the process ended while we looked
                continue
            found += children
            stack += children
    return found


def rss_mib(pid: int) -> float:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0
    return next((int(line.split()[1]) / 1024 for line in status.splitlines() if line.startswith("VmRSS:")), 0.0)


def child(args: argparse.Namespace) -> None:
    """One timed extract_corpus call; prints a JSON line (seconds, peak RSS)."""
    cfg = WorldConfig(f0_method=args.f0)
    files = corpus_files(Path(args.corpus), args.utterances)
    with TreeMemory() as workers:
        start = time.perf_counter()
        extract_corpus(files, cfg, args.cache, num_workers=args.child_workers)
        seconds = time.perf_counter() - start
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux reports KiB
    print(json.dumps({"seconds": seconds, "rss_mib": own, "worker_rss_mib": workers.largest_mib,
                      "workers_total_mib": workers.total_mib}))


def run_child(args: argparse.Namespace, corpus: Path, cache: Path, workers: int, utterances: int) -> dict:
    command = [sys.executable, __file__, "--child-workers", str(workers), "--corpus", str(corpus), "--cache",
               str(cache), "--f0", args.f0, "--utterances", str(utterances)]
    result = subprocess.run(command, capture_output=True, text=True, check=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--utterances", type=int, default=60)
    parser.add_argument("--f0", choices=("harvest", "dio"), default="harvest")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=2, help="best of this many runs per configuration")
    parser.add_argument("--corpus", default="data/demo/vc")
    parser.add_argument("--cache", help=argparse.SUPPRESS)
    parser.add_argument("--child-workers", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child_workers is not None:
        return child(args)

    corpus = build_demo_corpus(args.corpus)
    files = corpus_files(corpus, args.utterances)
    seconds_of_audio = sum(len(load_audio(f)[0]) / load_audio(f)[1] for f in files)
    print(f"{len(files)} utterances, {seconds_of_audio:.0f} s of speech, F0 by {args.f0}")
    baseline = min(pyworld_seconds(files, WorldConfig(f0_method=args.f0)) for _ in range(args.repeats))
    print(f"pyworld's own calls, one process: {baseline:.1f} s (RTF {baseline / seconds_of_audio:.3f})")
    with tempfile.TemporaryDirectory() as scratch:
        timings = {}
        for workers in args.workers:
            runs = [run_child(args, corpus, Path(scratch) / f"w{workers}_{i}", workers, args.utterances)
                    for i in range(args.repeats)]
            timings[workers] = min(runs, key=lambda run: run["seconds"])
            first = timings[workers]
            pool = (f" + pool processes {first['workers_total_mib']:.0f} MiB together, largest "
                    f"{first['worker_rss_mib']:.0f} MiB" if workers > 1 else "")
            print(f"extract_corpus, {workers} worker(s): {first['seconds']:.1f} s, peak RSS {first['rss_mib']:.0f} MiB "
                  f"(main process){pool}")
        one = timings[min(timings)]
        print(f"overhead over pyworld (1 worker): {one['seconds'] / baseline:.2f}x (target <= 1.2)")
        for workers, timing in timings.items():
            if workers != min(timings):
                print(f"speed-up {workers} vs {min(timings)} worker(s): {one['seconds'] / timing['seconds']:.2f}x "
                      f"(target >= 1.8 on 2 cores)")
        most = max(timings)
        rerun = run_child(args, corpus, Path(scratch) / f"w{most}_0", most, args.utterances)
        share = 100 * rerun["seconds"] / timings[most]["seconds"]
        print(f"cached re-run: {rerun['seconds']:.2f} s = {share:.1f} % of the first (target < 5 %)")
        half = run_child(args, corpus, Path(scratch) / "half", most, args.utterances // 2)
        print(f"peak RSS of the pool ({most} workers + fork server): {half['workers_total_mib']:.0f} MiB for "
              f"{args.utterances // 2} utterances, {timings[most]['workers_total_mib']:.0f} MiB for {args.utterances} "
              f"(bounded by the worker count, not the corpus)")


if __name__ == "__main__":
    main()

"""Run every benchmark in turn (what `make bench` does) and print their numbers; one process each, so one
benchmark's memory peak or thread setting never leaks into the next.

    python bench/run_all.py [--only preprocess convert ...] [--device cuda]

Each benchmark runs with its documented defaults, shortened on a CPU (bench/RESULTS.md records what they
printed on the machines they ran on); `--device cuda` passes the GPU option to those that have one. A failing
benchmark is reported and the rest still run; the exit status says whether any failed.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent
ORDER = ["preprocess", "data_loading", "reference_step", "train_step", "convert", "faces", "swap", "face_quality",
         "quality", "envelope_smoothing"]
HAS_DEVICE_OPTION = {"reference_step", "train_step", "faces", "swap"}
# On a CPU the defaults would take about an hour; these sizes keep every number (bench/RESULTS.md used them).
CPU_ARGS = {"train_step": ["--steps", "2"], "swap": ["--frames", "16"], "quality": ["--minutes", "3"]}


def run(name: str, device: str | None) -> bool:
    command = [sys.executable, str(BENCH / f"{name}.py")]
    if device and name in HAS_DEVICE_OPTION:
        command += ["--device", device]
    if device in (None, "cpu"):
        command += CPU_ARGS.get(name, [])
    print(f"\n=== {name}: {' '.join(command[1:])}", flush=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH.parent), os.environ.get("PYTHONPATH")]))}
    start = time.perf_counter()
    result = subprocess.run(command, cwd=BENCH.parent, env=env)
    status = "ok" if result.returncode == 0 else f"FAILED (exit {result.returncode})"
    print(f"=== {name}: {status} in {time.perf_counter() - start:.0f} s", flush=True)
    return result.returncode == 0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=ORDER, default=ORDER)
    parser.add_argument("--device", default=None, help="e.g. cuda, for the benchmarks that take one")
    args = parser.parse_args()
    failed = [name for name in ORDER if name in args.only and not run(name, args.device)]
    if failed:
        sys.exit(f"benchmarks failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()

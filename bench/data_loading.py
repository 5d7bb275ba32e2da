"""Data loading against training: seconds to draw one batch from the trainer's own DataLoader, as a share of
one StarGAN-VC training iteration at the paper's batch (8) and crop (128 frames).

    PYTHONPATH=. python bench/data_loading.py [--batches 200] [--f0 dio] [--workers 0]

The loader is the VC datamodule built from the train config on the demo corpus (features extracted and cached
on first use); the iteration is one critic and one generator update of the StarGAN-VC recipe (bench/train_step).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import hydra
import torch

sys.path.insert(0, str(Path(__file__).parent))
from train_step import batch_for, build, iteration  # noqa: E402

from fakevideo.config import compose  # noqa: E402

EXPERIMENT = "seed_c_stargan_vc_4spk"


def loader_seconds_per_batch(f0: str, workers: int, batches: int, scratch: Path) -> float:
    """Mean seconds per batch over `batches` batches of the training DataLoader (after its first batch)."""
    cfg = compose("train", [f"experiment={EXPERIMENT}", f"data.features.f0_method={f0}", "data.crop_frames=128",
                            "data.batch_size=8", f"data.num_workers={workers}"], scratch)
    datamodule = hydra.utils.instantiate(cfg.data)
    datamodule.prepare_data()
    datamodule.setup("fit")
    loader = iter(datamodule.train_dataloader())
    first = next(loader)
    assert first["mcep"].shape[0] == 8 and first["mcep"].shape[-1] == 128, first["mcep"].shape
    start = time.perf_counter()
    for _ in range(batches):
        next(loader)
    return (time.perf_counter() - start) / batches


def iteration_seconds(steps: int = 3) -> float:
    """Best seconds of one StarGAN-VC training iteration at paper width, batch and crop."""
    cfg, task = build([f"experiment={EXPERIMENT}"], "cpu", "32-true")
    batch = batch_for(cfg, "cpu")
    optimizers = [task.optimizer_d(task.discriminator_parameters()), task.optimizer_g(task.generator_parameters())]
    iteration(task, optimizers, batch)
    best = float("inf")
    for _ in range(steps):
        start = time.perf_counter()
        iteration(task, optimizers, batch)
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--f0", choices=("harvest", "dio"), default="dio")
    parser.add_argument("--workers", type=int, default=0, help="DataLoader workers (the config default is 0)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        loading = loader_seconds_per_batch(args.f0, args.workers, args.batches, Path(scratch))
        step = iteration_seconds()
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads; {EXPERIMENT}, batch 8 x 36 x 128")
    print(f"DataLoader ({args.workers} workers): {1e3 * loading:.2f} ms per batch")
    print(f"training iteration (critic + generator update): {step:.3f} s")
    print(f"loading = {100 * loading / step:.2f} % of a step (target < 5 %)")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()

"""Training-step cost of every trained voice model of the zoo at its paper batch size and crop length
(ARCHITECTURE.md section 3): one iteration = one critic update + one generator update of the real recipe, on
random features.

    PYTHONPATH=. python bench/train_step.py [--steps 5] [--device cuda] [--precision bf16-mixed]
                                            [--channels-last] [--compile inductor] [--only stargan]
                                            [--speakers 4] [OVERRIDE ...]

The models are fakevideo.zoo's (conf/model and, with `hydra.searchpath=[file://DIR]` among the train.py overrides,
models of your own); one-to-one models run on their two speakers, many-to-many ones on --speakers. Prints seconds
per iteration, peak memory (CUDA: max_memory_allocated; CPU: peak RSS of a fresh process per model) and parameter
counts. Not part of the test run.
"""

from __future__ import annotations

import argparse
import multiprocessing
import resource
import tempfile
import time
from collections.abc import Sequence

import hydra
import pytorch_lightning as pl
import torch
from omegaconf import open_dict

from fakevideo import zoo
from fakevideo.config import compose

#: speakers of the many-to-many models: the seed study's four (systems C and D)
MANY_TO_MANY_SPEAKERS = 4


def build(overrides: Sequence[str], device: str, precision: str):
    """The task of `train.py OVERRIDES size=paper`, attached to a bare trainer (for precision and the loss scaler),
    with the overrides (a model or an experiment, options such as model.channels_last=true) applied as training
    would."""
    cfg = compose("train", [*overrides, "size=paper"], tempfile.mkdtemp())
    with open_dict(cfg):
        cfg.data.speakers = [f"s{i}" for i in range(cfg.data.num_speakers)]
    task = hydra.utils.instantiate(cfg.model)
    trainer = pl.Trainer(accelerator="gpu" if device == "cuda" else "cpu", devices=1, precision=precision,
                         logger=False, enable_checkpointing=False, enable_progress_bar=False,
                         enable_model_summary=False)
    task.trainer = trainer
    task = task.to(device)
    task.configure_model()
    return cfg, task


def model_overrides(model: str, overrides: Sequence[str] = (), speakers: int = MANY_TO_MANY_SPEAKERS) -> list[str]:
    """`model=MODEL` on the speakers it trains on, after the user's overrides."""
    return [*overrides, f"model={model}", f"data.num_speakers={zoo.speakers_needed(model, overrides) or speakers}"]


def batch_for(cfg, device: str) -> dict:
    """Random features at the config's own batch size and crop length (the paper's, at size=paper)."""
    size, crop = cfg.data.batch_size, cfg.data.crop_frames
    dims, speakers = cfg.data.features.mcep_dim, cfg.data.num_speakers
    if cfg.data.pairing:
        return {"mcep_a": torch.randn(size, dims, crop, device=device),
                "mcep_b": torch.randn(size, dims, crop, device=device)}
    return {"mcep": torch.randn(size, dims, crop, device=device),
            "speaker": torch.randint(0, speakers, (size,), device=device)}


def iteration(task, optimizers, batch) -> None:
    for optimizer, losses in zip(optimizers, (task.discriminator_losses, task.generator_losses), strict=True):
        with task.trainer.precision_plugin.forward_context():
            total = sum(losses(batch).values())
        optimizer.zero_grad(set_to_none=True)
        total.backward()
        optimizer.step()


def measure(model: str, device: str, precision: str, steps: int, overrides: Sequence[str] = (),
            speakers: int = MANY_TO_MANY_SPEAKERS) -> str:
    cfg, task = build(model_overrides(model, overrides, speakers), device, precision)
    batch = batch_for(cfg, device)
    optimizers = [task.optimizer_d(task.discriminator_parameters()), task.optimizer_g(task.generator_parameters())]
    iteration(task, optimizers, batch)  # warm-up (cuDNN autotuning, allocator)
    if device == "cuda":
        torch.cuda.synchronize()
        torch.cuda.reset_peak_memory_stats()
    start = time.perf_counter()
    for _ in range(steps):
        iteration(task, optimizers, batch)
    if device == "cuda":
        torch.cuda.synchronize()
        peak = torch.cuda.max_memory_allocated() / 2**20
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    seconds = (time.perf_counter() - start) / steps
    g = sum(p.numel() for p in task.generator_parameters())
    d = sum(p.numel() for p in task.discriminator_parameters())
    size, crop = cfg.data.batch_size, cfg.data.crop_frames
    return (f"{model:16s} {cfg.data.num_speakers:>8d} {size:>5d} {crop:>5d} {seconds:>9.3f} {peak:>10.0f} "
            f"{g / 1e6:>8.2f} {d / 1e6:>8.2f}")


def models(overrides: Sequence[str] = (), only: str = "") -> list[str]:
    """The trained voice models of the zoo (with the search path among `overrides`) whose name contains `only`."""
    return [model for model in zoo.trained_voice_models(overrides) if only in model]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--precision", default="32-true")
    parser.add_argument("--channels-last", action="store_true", help="model.channels_last=true")
    parser.add_argument("--compile", default=None, help="model.compile=BACKEND (e.g. inductor)")
    parser.add_argument("--only", default="", help="only models whose name contains this")
    parser.add_argument("--speakers", type=int, default=MANY_TO_MANY_SPEAKERS, help="of the many-to-many models")
    parser.add_argument("overrides", nargs="*", help="train.py overrides, e.g. hydra.searchpath=[file://DIR]")
    args = parser.parse_args()
    overrides = [*args.overrides, *["model.channels_last=true"] * args.channels_last,
                 *[f"model.compile={args.compile}"] * bool(args.compile)]
    print(f"device={args.device} precision={args.precision} torch={torch.__version__} "
          f"threads={torch.get_num_threads()} overrides={overrides}")
    print(f"{'model':16s} {'speakers':>8s} {'batch':>5s} {'crop':>5s} {'s/iter':>9s} {'peak MiB':>10s} "
          f"{'G M par':>8s} {'D M par':>8s}")
    for model in models(args.overrides, args.only):
        with multiprocessing.get_context("spawn").Pool(1) as pool:  # one process per model: its own peak memory
            print(pool.apply(measure, (model, args.device, args.precision, args.steps, overrides, args.speakers)),
                  flush=True)


if __name__ == "__main__":
    main()

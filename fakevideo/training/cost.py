"""What one run costs, printed at its start and kept as `<run_dir>/model_size.json`, so an ablation compares like
with like: parameters of the generator(s) and critic(s), GFLOP of one generator forward of a training batch and
of one training iteration (`n_critic` critic updates plus one generator update, forward and backward), counted by
torch.utils.flop_counter on a real batch."""

from __future__ import annotations

import json
from pathlib import Path

import pytorch_lightning as pl
import torch
from torch.utils.flop_counter import FlopCounterMode

from fakevideo.atomic import write_json

COST_FILE = "model_size.json"


class _TotalOnly:
    """Stands in for FlopCounterMode's per-module attribution, whose backward hooks on every module break
    torch.autograd.grad (the WGAN-GP gradient penalty); only the total is wanted here."""

    parents = ("Global",)

    def __enter__(self):
        return self

    def __exit__(self, *args) -> None:
        return None


def _gflop(run) -> float:
    counter = FlopCounterMode(display=False)
    counter.mod_tracker = _TotalOnly()
    with counter:
        run()
    return counter.get_total_flops() / 1e9


def _update(task, losses, batch) -> None:
    """Forward and backward of one update (without the optimiser step); clears the gradients it left."""
    total = sum(losses(batch).values())
    if total.requires_grad:
        total.backward()
    task.zero_grad(set_to_none=True)


def model_cost(task, batch) -> dict:
    """Parameters and GFLOP of `task` (a TrainingTask) on `batch`. Leaves no trace in the run: the random numbers it
    draws are the forked generator's, and buffers the forward passes update (BatchNorm statistics) are restored."""
    generator = [p for p in task.generator_parameters() if p.requires_grad]
    critic = [p for p in task.discriminator_parameters() if p.requires_grad]
    cost = {"generator_parameters": sum(p.numel() for p in generator),
            "critic_parameters": sum(p.numel() for p in critic), "gflop_per_iteration": 0.0,
            "networks": {name: sum(p.numel() for p in module.parameters())
                         for name, module in task.named_children() if any(True for _ in module.parameters())}}
    buffers = [(buffer, buffer.clone()) for buffer in task.buffers()]
    with torch.random.fork_rng(devices=[]):
        if generator or critic:
            critic_updates = [task.discriminator_losses] * task.n_critic if critic else []  # none: supervised
            updates = [*critic_updates, task.generator_losses]
            cost["gflop_per_iteration"] = _gflop(lambda: [_update(task, losses, batch) for losses in updates])
        forward = getattr(task, "generator_forward", None)
        if forward is not None:
            with torch.no_grad():
                cost["generator_gflop_per_forward"] = _gflop(lambda: forward(batch))
    with torch.no_grad():
        for buffer, saved in buffers:
            buffer.copy_(saved)
    return cost


def describe_cost(cost: dict) -> str:
    line = (f"model cost: {cost['generator_parameters'] / 1e6:.3f} M generator and "
            f"{cost['critic_parameters'] / 1e6:.3f} M critic parameters; "
            f"{cost['gflop_per_iteration']:.3f} GFLOP per training iteration")
    if "generator_gflop_per_forward" in cost:
        line += f", {cost['generator_gflop_per_forward']:.3f} GFLOP per generator forward of a batch"
    if cost.get("networks"):  # Lightning's own model summary is off: its FLOPs column reads 0 for these tasks
        line += "\n  networks: " + ", ".join(f"{name} {count / 1e6:.3f} M" for name, count in cost["networks"].items())
    return line


class ModelCost(pl.Callback):
    """Measure the model's cost on the first training batch shape when fitting starts; print it and write it to
    `<run_dir>/model_size.json` (rank zero only: the replicas are identical)."""

    def __init__(self, run_dir: str | Path):
        self.path = Path(run_dir) / COST_FILE

    def setup(self, trainer: pl.Trainer, pl_module: pl.LightningModule, stage: str) -> None:
        """Measured before the strategy wraps the model: under DDP a backward pass through the wrapped model's
        parameters on one rank alone would desynchronise the gradient reducer (the other rank then crashes)."""
        if stage != "fit" or not trainer.is_global_zero:
            return
        batch = next(iter(trainer.datamodule.train_dataloader()))
        batch = pl_module.transfer_batch_to_device(batch, pl_module.device, 0)
        cost = model_cost(pl_module, batch)
        print(describe_cost(cost), flush=True)
        write_json(self.path, cost)


def read_cost(run_dir: str | Path) -> dict:
    """The run's stored cost, or {} for runs made before it was recorded."""
    path = Path(run_dir) / COST_FILE
    return json.loads(path.read_text()) if path.is_file() else {}

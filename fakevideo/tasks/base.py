"""The training loops every recipe shares: manual optimisation, training length in generator iterations,
linear learning-rate decay, gradient clipping and a stop on non-finite losses (`TrainingTask`); the alternating
critic/generator updates of the GAN recipes (`GANTask`) and the single-optimiser loop of supervised ones
(`SupervisedTask`)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from typing import Any, ClassVar

import pytorch_lightning as pl
import torch
from torch.optim import Optimizer
from torch.optim.lr_scheduler import LambdaLR

from fakevideo.contracts import check_data_needs
from fakevideo.errors import CheckpointError, ConfigError, FakevideoError
from fakevideo.losses.adversarial import gradient_penalty

CHECKPOINT_KEY = "fakevideo"
OptimizerFactory = Callable[[Iterable[torch.nn.Parameter]], Optimizer]


class TrainingDiverged(FakevideoError):
    """A loss became NaN or infinite."""


def random_state() -> dict:
    """The torch random generators the GAN loop draws from (CPU, and CUDA when present)."""
    state = {"torch": torch.get_rng_state()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def restore_random_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def linear_decay(iterations: int, decay_start: float) -> Callable[[int], float]:
    """LR factor: 1 until `decay_start` (fraction of training), then linearly down to 0 at the last iteration."""
    start = int(iterations * decay_start)
    span = max(iterations - start, 1)
    return lambda it: 1.0 if it < start else max(0.0, 1.0 - (it - start) / span)


class TrainingTask(pl.LightningModule):
    """Base of every recipe. `iteration` counts generator updates whatever the number of optimisers, so the
    configured training length (`iterations`, `validate_every`, `checkpoint_every`) means the same for every model;
    a recipe says how many Lightning steps (`steps_per_iteration`) and training batches (`batches_per_iteration`)
    one iteration takes."""

    def __init__(self, optimizer_g: OptimizerFactory, iterations: int, lr_decay_start: float = 0.5,
                 grad_clip: float | None = None, nonfinite: str = "stop", channels_last: bool = False,
                 compile: str | None = None):
        super().__init__()
        if iterations < 1:
            raise ConfigError(f"iterations={iterations}: must be at least 1")
        if nonfinite not in ("stop", "skip"):
            raise ConfigError(f"model.nonfinite={nonfinite!r}: choose 'stop' or 'skip'")
        if not 0.0 <= lr_decay_start <= 1.0:
            raise ConfigError(f"model.lr_decay_start={lr_decay_start}: a fraction of training in [0, 1]")
        self.automatic_optimization = False
        self.optimizer_g, self.iterations = optimizer_g, iterations
        self.lr_decay_start, self.grad_clip, self.nonfinite = lr_decay_start, grad_clip, nonfinite
        self.channels_last, self.compile_backend = channels_last, compile
        self.data_info: dict = {}
        self.run_config: dict = {}

    # -- speed options ----------------------------------------------------------------------------------------
    @property
    def gradient_penalty_on(self) -> bool:
        """Whether the critic loss differentiates through the critic's input gradient (WGAN-GP)."""
        return getattr(self, "loss", {}).get("adversarial") == "wgan_gp"

    def configure_model(self) -> None:
        """`channels_last` stores 4-D weights (the 2D convolutions) NHWC, which cuDNN and oneDNN run faster;
        `compile` (a torch.compile backend, e.g. inductor) compiles the generators in place, and the critics too
        unless a gradient penalty needs double backward through them, which compiled graphs do not support.
        Compiling in place keeps parameter names, so checkpoints load with or without it."""
        if self.channels_last:
            self.to(memory_format=torch.channels_last)
        if self.compile_backend is None:
            return
        for name, module in self.named_children():
            critic = name.startswith(("discriminator", "classifier"))
            if name.startswith("generator") or (critic and not self.gradient_penalty_on):
                module.compile(backend=self.compile_backend)

    # -- what travels in every checkpoint besides weights -------------------------------------------------
    #: validation metric that picks the best checkpoint (and that sweepers optimise) unless the config names one
    best_metric: tuple[str, str] | None = None  # (name, "min" | "max")
    #: datamodule settings the recipe cannot train without (fakevideo.contracts): the data configs take them
    data_needs: ClassVar[Mapping[str, Any]] = {}

    def attach_data(self, data_info: dict, run_config: dict) -> None:
        """Facts about the training data (e.g. speakers and their statistics) and the resolved run config."""
        self.data_info, self.run_config = data_info, run_config
        check_data_needs(self.data_needs, data_info, self.model_name)

    @property
    def model_name(self) -> str:
        """The model's family: the model config it was built from, as users type it (model=stargan_vc2). The one
        name in checkpoints ("family"), provenance labels (model_family) and messages; a task built outside
        train.py, without a run config, goes by its class."""
        return self.run_config.get("model_name") or type(self).__name__

    @property
    def batches_done(self) -> int:
        """Training batches consumed so far: one per critic update (generator updates reuse the batch)."""
        return self.global_step - self.iteration

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint[CHECKPOINT_KEY] = {"family": self.model_name, "data": self.data_info, "config": self.run_config,
                                      "rng": random_state()}

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        stored = checkpoint[CHECKPOINT_KEY]["data"]
        for key in ("features", "speakers"):
            if key in self.data_info and self.data_info[key] != stored.get(key):
                raise CheckpointError(f"the checkpoint was trained with {key}={stored.get(key)}, but this run has "
                                      f"{key}={self.data_info[key]}; resume with the same data config")
        self.data_info = stored
        self.run_config = checkpoint[CHECKPOINT_KEY]["config"]
        if "rng" in checkpoint[CHECKPOINT_KEY]:  # exact resume: the same target speakers, crops and noise
            restore_random_state(checkpoint[CHECKPOINT_KEY]["rng"])

    # -- what a recipe provides ------------------------------------------------------------------------
    def generator_parameters(self) -> Iterable[torch.nn.Parameter]:
        raise NotImplementedError

    def discriminator_parameters(self) -> Iterable[torch.nn.Parameter]:
        """The critics' parameters; none unless the recipe has critics."""
        return []

    def generator_losses(self, batch) -> dict[str, torch.Tensor]:
        """Named, already weighted loss terms of one generator update; their sum is minimised."""
        raise NotImplementedError

    def evaluate(self, datamodule, out_dir, **options) -> dict | None:
        """Test-split evaluation after training, written under `out_dir`; recipes without one return None."""
        return None

    # -- the shared loop ------------------------------------------------------------------------------
    @property
    def steps_per_iteration(self) -> int:
        """Lightning steps (optimiser steps) in one generator iteration."""
        raise NotImplementedError

    @property
    def batches_per_iteration(self) -> int:
        """Training batches drawn in one generator iteration."""
        raise NotImplementedError

    @property
    def iteration(self) -> int:
        """Completed generator iterations (restored with the checkpoint, since global_step is)."""
        return self.global_step // self.steps_per_iteration

    def _update(self, optimizer, compute: Callable[[object], dict[str, torch.Tensor]], batch,
                prefix: str) -> dict[str, float]:
        with self.toggled_optimizer(optimizer):
            terms = compute(batch)
            total = sum(terms.values())
            if not self._finite(terms):
                return {}
            optimizer.zero_grad(set_to_none=True)
            self.manual_backward(total)
            if self.grad_clip:
                self.clip_gradients(optimizer, gradient_clip_val=self.grad_clip, gradient_clip_algorithm="norm")
            optimizer.step()
        return {f"train/{prefix}_{name}": value.detach() for name, value in terms.items()} | {
            f"train/{prefix}_total": total.detach()}

    def _finite(self, terms: dict[str, torch.Tensor]) -> bool:
        bad = [name for name, value in terms.items() if not math.isfinite(float(value.detach()))]
        if not bad:
            return True
        if self.nonfinite == "skip":
            self.print(f"warning: non-finite {bad} at iteration {self.iteration}; step skipped")
            return False
        raise TrainingDiverged(f"loss {bad[0]} became non-finite at iteration {self.iteration}; the last good "
                               "checkpoint is kept (lower the learning rate, or set model.nonfinite=skip)")

class GANTask(TrainingTask):
    """Base of every GAN recipe. One training step is one critic update; every `n_critic`-th step also updates the
    generator and steps the schedulers. With two optimisers Lightning's `global_step` counts both, so one
    generator iteration is `n_critic + 1` global steps."""

    def __init__(self, optimizer_g: OptimizerFactory, optimizer_d: OptimizerFactory, iterations: int,
                 n_critic: int = 1, **kwargs):
        super().__init__(optimizer_g, iterations, **kwargs)
        if n_critic < 1:
            raise ConfigError(f"model.n_critic={n_critic}: must be at least 1")
        self.optimizer_d, self.n_critic = optimizer_d, n_critic

    def discriminator_parameters(self) -> Iterable[torch.nn.Parameter]:
        raise NotImplementedError

    def discriminator_losses(self, batch) -> dict[str, torch.Tensor]:
        """Named loss terms of one critic update; their sum is minimised."""
        raise NotImplementedError

    def penalty(self, critic: Callable[[torch.Tensor], torch.Tensor], real: torch.Tensor,
                fake: torch.Tensor) -> torch.Tensor:
        """WGAN-GP gradient penalty of `critic`, using the precision plugin's loss scaler when 16-mixed has one
        (none outside a trainer: the losses are also computed by benchmarks and tests)."""
        trainer = self._trainer
        scaler = getattr(trainer.precision_plugin, "scaler", None) if trainer is not None else None
        return gradient_penalty(critic, real, fake, scaler)

    @property
    def steps_per_iteration(self) -> int:
        return self.n_critic + 1

    @property
    def batches_per_iteration(self) -> int:
        return self.n_critic

    def configure_optimizers(self):
        opt_g = self.optimizer_g(self.generator_parameters())
        opt_d = self.optimizer_d(self.discriminator_parameters())
        decay = linear_decay(self.iterations, self.lr_decay_start)
        return [opt_g, opt_d], [LambdaLR(opt_g, decay), LambdaLR(opt_d, decay)]

    def training_step(self, batch, batch_idx: int) -> None:
        opt_g, opt_d = self.optimizers()
        generator_turn = self.global_step % self.steps_per_iteration == self.n_critic - 1
        logs = self._update(opt_d, self.discriminator_losses, batch, "d")
        if generator_turn:
            logs |= self._update(opt_g, self.generator_losses, batch, "g")
            for scheduler in self.lr_schedulers():
                scheduler.step()
            logs["lr/g"] = opt_g.param_groups[0]["lr"]
            logs["lr/d"] = opt_d.param_groups[0]["lr"]
        self.log_dict(logs, prog_bar=False, on_step=True, on_epoch=False)


class SupervisedTask(TrainingTask):
    """Base of the recipes trained on targets alone (FSGAN segmentation): one optimiser, no critic, so one
    generator iteration is one Lightning step and one batch."""

    @property
    def steps_per_iteration(self) -> int:
        return 1

    @property
    def batches_per_iteration(self) -> int:
        return 1

    def configure_optimizers(self):
        optimizer = self.optimizer_g(self.generator_parameters())
        return [optimizer], [LambdaLR(optimizer, linear_decay(self.iterations, self.lr_decay_start))]

    def training_step(self, batch, batch_idx: int) -> None:
        optimizer = self.optimizers()
        logs = self._update(optimizer, self.generator_losses, batch, "g")
        self.lr_schedulers().step()
        logs["lr/g"] = optimizer.param_groups[0]["lr"]
        self.log_dict(logs, prog_bar=False, on_step=True, on_epoch=False)

"""Build datamodule, task, loggers, callbacks and trainer from a composed config, and fit.

Every model - voice or face - goes through this one function; train.py is a thin Hydra shim around it.
The datamodule is a `fakevideo.contracts.RunDataModule` (it describes its data and writes its plots); the task
is a `TrainingTask` (it says how many Lightning steps and batches make one generator iteration).
"""

from __future__ import annotations

import logging
import signal
from pathlib import Path

import hydra
import pytorch_lightning as pl
from omegaconf import DictConfig, OmegaConf, open_dict
from pytorch_lightning.callbacks import EMAWeightAveraging, ModelCheckpoint
from pytorch_lightning.loggers import WandbLogger

import fakevideo.config  # noqa: F401  (registers resolvers)
from fakevideo.atomic import write_json
from fakevideo.contracts import RunDataModule
from fakevideo.errors import CheckpointError, ConfigError, check_positive_int
from fakevideo.training.callbacks import CpuTimeBudget, SaveLastCheckpoint
from fakevideo.training.checkpoints import load_checkpoint
from fakevideo.training.cost import ModelCost
from fakevideo.training.devices import check_devices
from fakevideo.training.progress import IterationProgress
from fakevideo.training.summary import run_summary

log = logging.getLogger(__name__)


def resolve_ckpt_path(ckpt_path: str | None, checkpoint_dir: Path) -> str | None:
    """`ckpt_path=last` means the run directory's own last.ckpt; any other value must be an existing file."""
    if ckpt_path is None:
        return None
    path = checkpoint_dir / "last.ckpt" if ckpt_path == "last" else Path(ckpt_path)
    if not path.is_file():
        raise CheckpointError(f"ckpt_path={ckpt_path}: no checkpoint at {path}")
    load_checkpoint(path)  # a truncated or foreign file is a one-line error here, not deep inside Lightning
    return str(path)


def optimized_metric(cfg: DictConfig, task) -> tuple[str | None, str]:
    """The configured `optimized_metric`/`optimized_mode`, else the recipe's own (val/conversion for voice models)."""
    if cfg.get("optimized_metric"):
        return cfg.optimized_metric, cfg.get("optimized_mode") or "min"
    return task.best_metric or (None, "min")


def build_trainer(cfg: DictConfig, task, run_dir: Path) -> pl.Trainer:
    steps = task.steps_per_iteration
    checkpoint_dir = run_dir / "checkpoints"
    callbacks = [
        ModelCheckpoint(dirpath=checkpoint_dir, filename="step{step:08d}", save_top_k=-1, save_last=True,
                        every_n_train_steps=cfg.checkpoint_every * steps, auto_insert_metric_name=False,
                        enable_version_counter=False),
        SaveLastCheckpoint(checkpoint_dir),
        ModelCost(run_dir),
    ]
    metric, mode = optimized_metric(cfg, task)
    if metric:
        # The seed study's "best model search" over iterations: keep the best checkpoint by the chosen metric.
        callbacks.append(ModelCheckpoint(dirpath=checkpoint_dir, filename="best", monitor=metric, mode=mode,
                                         save_top_k=1, auto_insert_metric_name=False, enable_version_counter=False))
    if cfg.get("max_cpu_minutes") is not None:
        callbacks.append(CpuTimeBudget(cfg.max_cpu_minutes))
    if cfg.get("ema_decay") is not None:
        # validation, checkpoints (state_dict), conversion and the end-of-run evaluation see the averaged weights
        callbacks.append(EMAWeightAveraging(decay=cfg.ema_decay))
    if cfg.trainer.get("enable_progress_bar", True):
        callbacks.append(IterationProgress(cfg.get("log_progress_every_s", 60.0)))
    callbacks += [hydra.utils.instantiate(node) for node in (cfg.get("callbacks") or {}).values()]
    loggers = [hydra.utils.instantiate(node) for node in cfg.logger.values()]
    return hydra.utils.instantiate(
        cfg.trainer, max_steps=cfg.iterations * steps, default_root_dir=str(run_dir), logger=loggers,
        callbacks=callbacks, val_check_interval=cfg.validate_every * task.batches_per_iteration,
        check_val_every_n_epoch=None)


EVALUATED_WEIGHTS = ("best", "last")


def evaluate_at_end(cfg: DictConfig, task, datamodule, trainer: pl.Trainer, run_dir: Path) -> dict | None:
    """Test-split evaluation into <run_dir>/eval, also logged as test/* metrics: of the best checkpoint by the
    optimised metric (`evaluation.weights=best`, the default; a GAN's last weights are one draw from a noisy walk,
    and a report of them understates what the run found) or of the last weights."""
    evaluation = cfg.get("evaluation") or {}
    if not evaluation.get("at_end") or not trainer.is_global_zero:
        return None
    best = best_checkpoint(trainer)
    iteration = task.iteration
    evaluated = f"the last weights (iteration {iteration})"
    if evaluation.get("weights", "best") == "best" and best is not None:
        checkpoint = load_checkpoint(best[0])
        task.load_state_dict(checkpoint["state_dict"])
        iteration = checkpoint["global_step"] // task.steps_per_iteration
        evaluated = f"{best[0]} (best by {best[1]}, iteration {iteration} of {task.iteration})"
    log.info("evaluating %s on the test split", evaluated)
    options = {k: v for k, v in evaluation.items() if k not in ("at_end", "weights")}
    summary = task.evaluate(datamodule, run_dir / "eval", **options)
    if summary is None:
        return None
    # which weights the numbers are of: a best checkpoint early in a long run says training did not improve on it
    summary |= {"evaluated": evaluated, "evaluated_iteration": iteration, "iterations_trained": task.iteration}
    write_json(run_dir / "eval" / "metrics.json", summary)
    for logger in trainer.loggers:
        logger.log_metrics({f"test/{k}": v for k, v in summary["overall"].items()}, step=trainer.global_step)
        logger.save()
    log.info("test-split metrics: %s", run_dir / "eval" / "metrics.json")
    return summary


def best_checkpoint(trainer: pl.Trainer) -> tuple[str, str, float] | None:
    """(path, metric, score) of the checkpoint kept by `optimized_metric`, if one was kept."""
    for callback in trainer.checkpoint_callbacks:
        if callback.monitor and callback.best_model_path and callback.best_model_score is not None:
            return callback.best_model_path, callback.monitor, float(callback.best_model_score)
    return None


POSITIVE_KNOBS = ("iterations", "validate_every", "checkpoint_every", "width")


def check_run_knobs(cfg: DictConfig) -> None:
    """The top-level run knobs are positive integers (seed: any integer) and the trainer asks for no more devices
    than the machine has; say which knob is wrong before any work starts."""
    seed = cfg.get("seed")
    if not isinstance(seed, int) or isinstance(seed, bool):
        raise ConfigError(f"seed={seed!r}: must be an integer")
    for key in POSITIVE_KNOBS:
        check_positive_int(key, cfg.get(key))
    budget = cfg.get("max_cpu_minutes")
    if budget is not None and (isinstance(budget, bool) or not isinstance(budget, int | float) or budget <= 0):
        raise ConfigError(f"max_cpu_minutes={budget!r}: must be a positive number of minutes (or null)")
    decay = cfg.get("ema_decay")
    if decay is not None and (isinstance(decay, bool) or not isinstance(decay, int | float) or not 0 < decay < 1):
        raise ConfigError(f"ema_decay={decay!r}: must be a number between 0 and 1 (or null: no weight averaging)")
    weights = (cfg.get("evaluation") or {}).get("weights", "best")
    if weights not in EVALUATED_WEIGHTS:
        raise ConfigError(f"evaluation.weights={weights!r}: must be one of {', '.join(EVALUATED_WEIGHTS)}")
    check_devices(cfg.trainer.get("accelerator", "auto"), cfg.trainer.get("devices", "auto"))


def fit(trainer: pl.Trainer, task, datamodule, ckpt_path: str | None) -> None:
    """`trainer.fit`, except that an interrupted run, once `last.ckpt` is saved, exits as the signal's default action
    would (130 after Ctrl-C, 143 after SIGTERM) where Lightning exits 1 and 0: a scheduler must not take a
    pre-empted run for a finished one."""
    try:
        trainer.fit(task, datamodule=datamodule, ckpt_path=ckpt_path, weights_only=True)  # tensors, no pickles
    except SystemExit as stop:
        if not trainer.interrupted:
            raise
        signum = signal.SIGTERM if trainer.received_sigterm else signal.SIGINT
        raise SystemExit(128 + signum) from stop


def train(cfg: DictConfig) -> float | None:
    """Fit the configured model; returns the value of `cfg.optimized_metric` (for sweepers), if logged."""
    check_run_knobs(cfg)
    pl.seed_everything(cfg.seed, workers=True)
    run_dir = Path(cfg.run_dir)
    datamodule = hydra.utils.instantiate(cfg.data)
    if not isinstance(datamodule, RunDataModule):
        raise ConfigError(f"data._target_={cfg.data._target_}: not a fakevideo datamodule (needs describe() and "
                          f"write_summary(); see fakevideo.contracts)")
    datamodule.prepare_data()
    datamodule.setup("fit")
    data_info = datamodule.describe()
    with open_dict(cfg):
        for key in ("num_speakers", "speakers"):
            if key in data_info and key in cfg.data:
                cfg.data[key] = data_info[key]
    task = hydra.utils.instantiate(cfg.model)
    task.attach_data(data_info, OmegaConf.to_container(cfg, resolve=True))
    run_dir.mkdir(parents=True, exist_ok=True)
    OmegaConf.save(cfg, run_dir / "config.yaml", resolve=True)
    datamodule.write_summary(run_dir)
    trainer = build_trainer(cfg, task, run_dir)
    ckpt_path = resolve_ckpt_path(cfg.get("ckpt_path"), run_dir / "checkpoints")
    try:
        fit(trainer, task, datamodule, ckpt_path)
        evaluation = evaluate_at_end(cfg, task, datamodule, trainer, run_dir)
        if trainer.is_global_zero:
            print(run_summary(run_dir, best_checkpoint(trainer), evaluation), flush=True)
    finally:
        for logger in trainer.loggers:
            if isinstance(logger, WandbLogger):  # one wandb run per sweep job
                logger.experiment.finish()
    best = best_checkpoint(trainer)
    if best is not None:  # a sweeper compares runs by what each found, not by where its last validation landed
        return best[2]
    metric, _ = optimized_metric(cfg, task)
    value = trainer.callback_metrics.get(metric) if metric else None
    return float(value) if value is not None else None

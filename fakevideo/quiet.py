"""Silence other libraries' known, harmless console noise, and nothing else.

Each entry names one message that no fakevideo user can act on; every warning of ours and every unknown one still
shows. Installed on import of the package, so the entry points, tests and worker processes all get it.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path

PACKAGE_DIR = str(Path(__file__).resolve().parent)

#: warnings.warn messages (regular expressions matched at the start of the message) and why each is harmless
KNOWN_WARNINGS = (
    # Lightning's pytree helper builds torch's deprecated LeafSpec; fixed upstream, nothing to do here.
    r"`isinstance\(treespec, LeafSpec\)` is deprecated",
    # Lightning explains at length how to checkpoint pre-optimisation weights; the GAN loop wants post-step ones.
    r"Using ModelCheckpoint with manual optimization and every_n_train_steps",
    # On resume Lightning cannot see that the voice sampler continues from the task's batches_done; it does.
    r"You're resuming from a checkpoint that ended before the epoch ended and your dataloader is not resumable",
    # webrtcvad (via resemblyzer) and face-recognition-models import pkg_resources; setuptools is pinned for them.
    r"pkg_resources is deprecated as an API",
    # Weight averaging (the EMA recipes) warns about sharding whenever configure_model is overridden; ours only sets
    # channels_last / torch.compile, and no recipe shards layers.
    r"You're using the WeightAveraging callback with a model that overrides the configure_model",
)

#: log records (message prefixes) of other libraries' loggers that advertise rather than inform
# "`Trainer.fit` stopped: `max_steps=600` reached." counts Lightning's optimiser steps, not iterations, after the
# progress line has said "iteration 300/300 (100%)"; other stops (max_time, ...) still show.
KNOWN_LOG_MESSAGES = {
    "pytorch_lightning.utilities.rank_zero": ("💡 Tip:", "`Trainer.fit` stopped: `max_steps="),
    "lightning_fabric.utilities.rank_zero": ("💡 Tip:",),
}


class _DropMessages(logging.Filter):
    def __init__(self, prefixes: tuple[str, ...]):
        super().__init__()
        self.prefixes = prefixes

    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(self.prefixes)


def _format_warning(message, category, filename, lineno, line=None, *, _default=warnings.formatwarning) -> str:
    """Our warnings as one line, `warning: <message> (<file>:<line>)`: Python's default format repeats the source
    line that raised it (`rank_zero_warn(closeness_warning(...`), which tells a user nothing. Others' keep theirs."""
    if str(filename).startswith(PACKAGE_DIR):
        return f"warning: {message} ({Path(filename).name}:{lineno})\n"
    return _default(message, category, filename, lineno, line)


def silence_known_noise() -> None:
    """Install the filters and the one-line format of our own warnings (idempotent)."""
    warnings.formatwarning = _format_warning
    for message in KNOWN_WARNINGS:
        warnings.filterwarnings("ignore", message=message)
    for name, prefixes in KNOWN_LOG_MESSAGES.items():
        logger = logging.getLogger(name)
        if not any(isinstance(f, _DropMessages) for f in logger.filters):
            logger.addFilter(_DropMessages(prefixes))

"""What the config stored in a checkpoint may build.

Checkpoints travel between researchers, so the config inside one is untrusted input: Hydra would otherwise
instantiate any importable callable it names (`builtins.open`, `numpy.savetxt`, `torch.load` with pickles on).
A stored config may only name `_target_`s that trusted model and data configs name; every other node is plain data
(numbers, strings, lists, mappings), and interpolations are refused, since train.py stores resolved configs and an
interpolation could resolve to a target or read the environment.

Trusted configs are the project's (conf/) and those on the running command's Hydra search path
(`hydra.searchpath=[file://DIR]`, given by the user to convert.py, evaluate.py, train.py or in their primary
config): files on the user's own machine, as trusted as conf/, which is how a researcher's own model converts. The
checkpoint is never asked where configs are, so a checkpoint alone cannot add trust.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hydra
import yaml
from hydra.core.hydra_config import HydraConfig

from fakevideo.config import CONF_DIR
from fakevideo.errors import CheckpointError

#: config groups whose `_target_`s a checkpoint may rebuild: the tasks, their networks, optimisers, datamodules
TRUSTED_GROUPS = ("model", "data", "size", "size_model", "experiment")
#: Hydra's special keys a stored node may use; `_args_`, `_recursive_`, `_convert_` are never written by train.py
ALLOWED_SPECIAL_KEYS = frozenset({"_target_", "_partial_"})
#: data settings that belong to the machine running the command, never to the checkpoint's author: where files
#: are written (the feature cache, the demo corpus) and how many worker processes are started
MACHINE_LOCAL_DATA_KEYS = ("cache_dir", "demo_dir", "num_workers", "preprocess_workers")
PLAIN_SCALARS = (str, int, float, bool, type(None))
#: classes that moved, as older checkpoints name them -> where they live now, so trained models survive refactors
MOVED_TARGETS = {
    "fakevideo.nn.unet.MultiScaleResUNet": "fakevideo.models.resunet.MultiScaleResUNet",
    "fakevideo.nn.patchgan.MultiScalePatchGAN": "fakevideo.models.image_patchgan.MultiScalePatchGAN",
}
#: model settings older checkpoints stored that are now facts of the task class (its data_needs), dropped on load
RETIRED_MODEL_KEYS = ("pairing",)


def _targets_in(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "_target_" and isinstance(value, str):
                yield value
            else:
                yield from _targets_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from _targets_in(item)


def trusted_config_dirs() -> tuple[Path, ...]:
    """conf/ and every file-system directory on the running command's Hydra search path (none outside a Hydra
    command): what the user chose on their machine, never what a checkpoint says."""
    dirs = [CONF_DIR]
    if HydraConfig.initialized():
        dirs += [Path(source.path) for source in HydraConfig.get().runtime.config_sources if source.schema == "file"]
    return tuple(dict.fromkeys(directory.resolve() for directory in dirs))


@functools.cache
def trusted_targets(conf_dirs: tuple[Path, ...] = (CONF_DIR,)) -> frozenset[str]:
    """Every `_target_` named in the TRUSTED_GROUPS of the configs under `conf_dirs`."""
    targets: set[str] = set()
    for conf_dir in conf_dirs:
        for group in TRUSTED_GROUPS:
            for path in sorted((conf_dir / group).rglob("*.yaml")):
                targets.update(_targets_in(yaml.safe_load(path.read_text())))
    return frozenset(targets)


def check_stored_config(node: Any, where: str, source: str | Path) -> None:
    """Raise a one-line CheckpointError unless `node` is plain data whose `_target_`s are all trusted."""
    if isinstance(node, dict):
        for key, value in node.items():
            at = f"{where}.{key}"
            if not isinstance(key, str):
                raise CheckpointError(f"{source}: stored config key {at!r} is not a string")
            if key.startswith("_") and key.endswith("_") and key not in ALLOWED_SPECIAL_KEYS:
                raise CheckpointError(f"{source}: stored config {at} is not allowed in a checkpoint")
            if key == "_target_" and value not in trusted_targets(trusted_config_dirs()):
                raise CheckpointError(f"{source}: stored config {at}={value!r} is named by no model or data config "
                                      f"in conf/ or on the Hydra search path (hydra.searchpath); refusing to build "
                                      f"it")
            if key == "_partial_" and not isinstance(value, bool):
                raise CheckpointError(f"{source}: stored config {at}={value!r} must be true or false")
            check_stored_config(value, at, source)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            check_stored_config(item, f"{where}[{index}]", source)
    elif not isinstance(node, PLAIN_SCALARS):
        raise CheckpointError(f"{source}: stored config {where} holds a {type(node).__name__}, not plain data")
    elif isinstance(node, str) and "${" in node:
        raise CheckpointError(f"{source}: stored config {where}={node!r} is an interpolation; checkpoints store "
                              f"resolved values only")


def with_moved_targets(node: Any) -> Any:
    """A copy of `node` naming every moved class (MOVED_TARGETS) by its current path."""
    if isinstance(node, dict):
        return {key: MOVED_TARGETS.get(value, value) if key == "_target_" and isinstance(value, str)
                else with_moved_targets(value) for key, value in node.items()}
    if isinstance(node, list):
        return [with_moved_targets(item) for item in node]
    return node


def without_retired_keys(model: dict) -> dict:
    """A stored model config without the settings that moved into the task classes (RETIRED_MODEL_KEYS)."""
    return {key: value for key, value in model.items() if key not in RETIRED_MODEL_KEYS}


def build_stored(node: Any, where: str, source: str | Path, **overrides: Any) -> Any:
    """Instantiate a checked stored config node (moved classes by their current path); any failure is a one-line
    CheckpointError naming the file."""
    node = with_moved_targets(node)
    check_stored_config(node, where, source)
    try:
        return hydra.utils.instantiate(node, **overrides)
    except Exception as err:  # noqa: BLE001 - whatever a foreign config breaks is the checkpoint's fault
        cause = err
        while cause.__cause__ is not None:
            cause = cause.__cause__
        message = str(cause).splitlines()[0] if str(cause) else type(cause).__name__
        raise CheckpointError(f"{source}: the stored {where} config cannot be built ({message})") from None


def machine_local_data_config(stored: dict) -> dict:
    """The stored data config without the settings that belong to this machine (MACHINE_LOCAL_DATA_KEYS)."""
    return {key: value for key, value in stored.items() if key not in MACHINE_LOCAL_DATA_KEYS}

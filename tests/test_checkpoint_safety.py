"""Hostile checkpoints: files that pass `torch.load(weights_only=True)` but whose stored config names something
other than the project's own classes must fail with a one-line CheckpointError and touch nothing."""

from __future__ import annotations

import copy
import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from fakevideo.errors import CheckpointError
from fakevideo.tasks.base import CHECKPOINT_KEY
from fakevideo.tasks.vc import VoiceConversionTask
from fakevideo.training.checkpoints import load_task
from fakevideo.training.stored_config import trusted_targets

REPO = Path(__file__).resolve().parent.parent


class _MakesDirectoryWhenUnpickled:
    def __init__(self, path: Path):
        self.path = str(path)

    def __reduce__(self):
        return os.mkdir, (self.path,)


def _set(node: dict, dotted: str, value) -> None:
    *parents, last = dotted.split(".")
    for key in parents:
        node = node[key]
    node[last] = value


def _hostile_edits(victim: Path, evil_pickle: Path) -> dict[str, Callable[[dict], None]]:
    """Each edit turns a genuine stored config into an attack on `victim` (a path that must stay absent);
    `evil_pickle` makes `victim` when unpickled."""
    open_for_writing = {"_target_": "builtins.open", "file": str(victim), "mode": "w"}
    return {
        "builtins.open": lambda c: _set(c, "model", open_for_writing),
        "numpy.savetxt": lambda c: _set(c, "model", {"_target_": "numpy.savetxt", "fname": str(victim),
                                                     "X": [1.0, 2.0]}),
        "torch.load of a pickle": lambda c: _set(c, "model", {"_target_": "torch.load", "f": str(evil_pickle),
                                                              "weights_only": False}),
        "nested target": lambda c: _set(c, "model.generator", open_for_writing),
        "optimiser replaced": lambda c: _set(c, "model.optimizer_g", {**open_for_writing, "_partial_": True}),
        "_args_ on a trusted target": lambda c: _set(c, "model.generator._args_", [open_for_writing]),
        "_recursive_ switch": lambda c: _set(c, "model._recursive_", False),
        "_partial_ not a bool": lambda c: _set(c, "model._partial_", {"x": 1}),
        "interpolated target": lambda c: _set(c, "model.generator._target_", "${oc.env:FAKEVIDEO_EVIL_TARGET}"),
        "interpolation to another node": lambda c: (_set(c, "model.evil", open_for_writing),
                                                    _set(c, "model.generator", "${model.evil}")),
        "decoded config": lambda c: _set(c, "model.generator", "${oc.decode:'{_target_: builtins.open}'}"),
        "tensor in config": lambda c: _set(c, "model.iterations", torch.ones(1)),
    }


@pytest.fixture
def genuine(trained_stargan) -> dict:
    return torch.load(trained_stargan / "checkpoints" / "last.ckpt", map_location="cpu", weights_only=True)


def _write(checkpoint: dict, path: Path) -> Path:
    torch.save(checkpoint, path)
    return path


def test_only_the_projects_own_classes_are_trusted():
    targets = trusted_targets()
    assert "fakevideo.tasks.stargan.StarGANTask" in targets and "torch.optim.Adam" in targets
    assert "fakevideo.data.vc.VCDataModule" in targets
    assert not {"builtins.open", "torch.load", "numpy.savetxt", "os.system"} & targets
    assert not any(t.startswith(("pytorch_lightning", "fakevideo.training")) for t in targets)  # loggers, trainer


@pytest.mark.parametrize("attack", list(_hostile_edits(Path("victim"), Path("payload"))))
def test_hostile_checkpoint_is_refused_and_touches_nothing(attack, genuine, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKEVIDEO_EVIL_TARGET", "builtins.open")
    attack_dir = tmp_path / "attack"
    attack_dir.mkdir()
    victim = attack_dir / "written_by_checkpoint"
    evil_pickle = tmp_path / "payload.pkl"
    evil_pickle.write_bytes(pickle.dumps(_MakesDirectoryWhenUnpickled(victim)))
    hostile = copy.deepcopy(genuine)
    _hostile_edits(victim, evil_pickle)[attack](hostile[CHECKPOINT_KEY]["config"])
    path = _write(hostile, tmp_path / "hostile.ckpt")
    before = sorted(attack_dir.iterdir())
    with pytest.raises(CheckpointError) as err:
        load_task(path, VoiceConversionTask)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    assert sorted(attack_dir.iterdir()) == before and not victim.exists()


def test_oversized_config_is_refused_before_allocating(genuine, tmp_path):
    """A width the stored weights do not have would allocate (here ~40 GB) before failing to load: the model is
    probed on the meta device first, so it fails at once."""
    hostile = copy.deepcopy(genuine)
    hostile[CHECKPOINT_KEY]["config"]["model"]["generator"]["base_channels"] = 100_000
    path = _write(hostile, tmp_path / "wide.ckpt")
    with pytest.raises(CheckpointError, match="do not fit"):
        load_task(path, VoiceConversionTask)


def test_text_file_checkpoint_is_a_one_line_error(tmp_path):
    path = tmp_path / "notes.ckpt"
    path.write_text("not a checkpoint\n")
    with pytest.raises(CheckpointError, match="unreadable"):
        load_task(path, VoiceConversionTask)


def test_genuine_checkpoint_still_loads(trained_stargan):
    task = load_task(trained_stargan / "checkpoints" / "last.ckpt", VoiceConversionTask)
    assert not task.training and next(task.parameters()).device.type == "cpu"


@pytest.mark.parametrize("command", ["convert", "evaluate"])
def test_command_lines_refuse_hostile_configs_in_one_line(command, genuine, trained_stargan, tmp_path):
    victim = tmp_path / "written_by_checkpoint"
    hostile = copy.deepcopy(genuine)
    node = "data" if command == "evaluate" else "model"  # evaluate also rebuilds the stored data config
    hostile[CHECKPOINT_KEY]["config"][node] = {"_target_": "builtins.open", "file": str(victim), "mode": "w"}
    path = _write(hostile, tmp_path / "hostile.ckpt")
    args = {"convert": [f"input={tmp_path}", f"output={tmp_path / 'out'}", "src_spk=us1_f", "trg_spk=us2_m"],
            "evaluate": [f"out={tmp_path / 'eval'}"]}[command]
    if command == "evaluate":  # the model node stays genuine so that the data node is what is refused
        hostile[CHECKPOINT_KEY]["config"]["model"] = genuine[CHECKPOINT_KEY]["config"]["model"]
        _write(hostile, path)
    result = subprocess.run([sys.executable, f"{command}.py", f"ckpt={path}", *args], capture_output=True,
                            text=True, cwd=REPO)
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip().count("\n") == 0 and "builtins.open" in result.stderr
    assert not victim.exists() and not (tmp_path / "out").exists()

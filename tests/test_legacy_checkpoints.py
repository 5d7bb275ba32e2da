"""Checkpoints written by earlier versions keep loading and converting: refactors of configs, modules and task
classes must not strand a researcher's trained models. Each file under tests/data/checkpoints was written by
train.py at the date in its name (tiny sizes, 2 iterations) and is committed as it came out."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from fakevideo.audio.io import load_audio
from fakevideo.pipelines.convert import VoiceConverter
from fakevideo.tasks.fsgan import SegmentationTask
from fakevideo.training.checkpoints import load_checkpoint, load_task

CHECKPOINTS = Path(__file__).parent / "data" / "checkpoints"


@pytest.mark.parametrize("name", ["stargan_vc_tiny_2026-12-02.ckpt"])
def test_checkpoint_from_an_earlier_version_converts(name, demo_corpus):
    converter = VoiceConverter.from_checkpoint(CHECKPOINTS / name)
    assert converter.speakers == ["us1_f", "us2_m"] and converter.task.model_name == "stargan_vc"
    audio, _ = load_audio(demo_corpus / "us1_f" / "harvard_010.wav", converter.sample_rate)
    out = converter.convert(audio, "us1_f", "us2_m")
    assert out.shape == audio.shape and np.isfinite(out).all() and 0.01 < np.abs(out).max() <= 0.99


def test_face_checkpoint_naming_networks_where_they_used_to_live_loads():
    """Written when the FSGAN networks lived in fakevideo.nn (they are models now): it names the old path."""
    path = CHECKPOINTS / "fsgan_segmentation_tiny_2026-12-02.ckpt"
    stored = load_checkpoint(path)["fakevideo"]["config"]["model"]["generator"]["_target_"]
    assert stored == "fakevideo.nn.unet.MultiScaleResUNet"
    task = load_task(path, SegmentationTask)
    logits = task.generator(torch.zeros(1, 3, 64, 64))
    assert logits.shape == (1, 3, 64, 64) and torch.isfinite(logits).all()

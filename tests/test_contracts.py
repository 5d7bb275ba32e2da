"""The trainer <-> datamodule <-> task contracts (fakevideo.contracts) and the two training loops."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from omegaconf import OmegaConf, open_dict

from fakevideo.config import compose
from fakevideo.contracts import ConsumesBatches, RunDataModule, batches_consumed, check_data_needs
from fakevideo.data.faces import FaceDataModule
from fakevideo.data.vc import VCDataModule
from fakevideo.errors import ConfigError
from fakevideo.tasks.base import GANTask, SupervisedTask, TrainingTask
from fakevideo.tasks.fsgan import ReenactmentTask, SegmentationTask
from fakevideo.tasks.stargan import StarGANTask
from fakevideo.training.run import train


def test_datamodules_and_tasks_keep_their_contracts():
    assert issubclass(VCDataModule, RunDataModule) and issubclass(FaceDataModule, RunDataModule)
    for task in (StarGANTask, ReenactmentTask, SegmentationTask):
        assert issubclass(task, TrainingTask) and isinstance(task.batches_done, property)
    assert issubclass(SegmentationTask, SupervisedTask) and not issubclass(SegmentationTask, GANTask)
    assert issubclass(ReenactmentTask, GANTask)


def test_sample_stream_continues_from_the_batches_the_task_consumed():
    assert batches_consumed(None) == 0
    assert isinstance(SimpleNamespace(batches_done=7), ConsumesBatches)
    assert batches_consumed(SimpleNamespace(lightning_module=SimpleNamespace(batches_done=7))) == 7
    assert batches_consumed(SimpleNamespace(lightning_module=object())) == 0  # not a fakevideo task


def test_a_datamodule_outside_the_contract_is_a_config_error(tmp_path):
    cfg = compose("train", [], tmp_path)
    with open_dict(cfg):
        cfg.data = OmegaConf.create({"_target_": "pytorch_lightning.LightningDataModule"})
    with pytest.raises(ConfigError, match="not a fakevideo datamodule"):
        train(cfg)


def test_tasks_declare_what_they_need_of_the_data_and_refuse_a_conflicting_datamodule():
    from fakevideo.tasks.cyclegan import CycleGANTask
    from fakevideo.tasks.fsgan import BlendingTask

    assert CycleGANTask.data_needs == {"pairing": True} and StarGANTask.data_needs == {}
    assert ReenactmentTask.data_needs == {"pairing": "same_video"}
    assert BlendingTask.data_needs == {"pairing": "cross_identity"}
    check_data_needs(CycleGANTask.data_needs, {"pairing": True, "speakers": ["a", "b"]}, "cyclegan_vc")
    with pytest.raises(ConfigError, match="data.pairing=False: cyclegan_vc trains on data.pairing=True"):
        check_data_needs(CycleGANTask.data_needs, {"pairing": False}, "cyclegan_vc")


def test_a_data_config_for_tasks_with_a_need_refuses_a_task_without_it(tmp_path):
    cfg = compose("train", ["data=faces", "model=stargan_vc"], tmp_path)
    with pytest.raises(Exception) as err:
        _ = cfg.data.pairing
    assert "data.pairing: model._target_=fakevideo.tasks.stargan.StarGANTask declares no need" in str(err.value)

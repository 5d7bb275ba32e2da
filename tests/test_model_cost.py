"""Model cost (parameters, GFLOP per iteration and per generator forward): what every run prints and stores, that
measuring it leaves no trace in the run, and that size=tiny costs about the same for every voice family."""

import json

import pytest
import pytorch_lightning as pl
import torch
from conftest import build_task, train_overrides

from fakevideo import zoo
from fakevideo.config import compose
from fakevideo.training.cost import describe_cost, model_cost

FAMILIES = zoo.trained_voice_models()  # every voice GAN in conf/model


@pytest.fixture(scope="module", autouse=True)
def _single_thread(one_thread):
    """Tiny networks."""


def tiny_task(model: str, tmp_path, corpus, cache):
    """The task and one training batch exactly as `train.py model=MODEL size=tiny` builds them."""
    overrides = [o for o in train_overrides(corpus, cache, f"model={model}", "data.num_speakers=2")
                 if not o.startswith("data.crop_frames")]  # the crops a user's run has
    datamodule, task = build_task(compose("train", overrides, tmp_path))
    task.trainer = pl.Trainer(logger=False, enable_progress_bar=False, enable_model_summary=False,
                              accelerator="cpu")
    return task, next(iter(datamodule.train_dataloader()))


def test_size_tiny_costs_about_the_same_for_every_voice_family(tmp_path, demo_corpus, feature_cache):
    costs = {model: model_cost(*tiny_task(model, tmp_path, demo_corpus, feature_cache)) for model in FAMILIES}
    per_iteration = {model: cost["gflop_per_iteration"] for model, cost in costs.items()}
    assert max(per_iteration.values()) < 2 * min(per_iteration.values()), per_iteration
    for cost in costs.values():
        assert f"{cost['gflop_per_iteration']:.3f} GFLOP per training iteration" in describe_cost(cost)
        # each network's parameters are listed, and they add up to the task's trainable parameters
        assert sum(cost["networks"].values()) >= cost["generator_parameters"] + cost["critic_parameters"]
        assert all(f"{name} " in describe_cost(cost) for name in cost["networks"])
    assert set(costs["cyclegan_vc2"]["networks"]) >= {"generator_ab", "generator_ba", "discriminator_a"}


def test_measuring_the_cost_leaves_no_trace(tmp_path, demo_corpus, feature_cache):
    task, batch = tiny_task("stargan_vc", tmp_path, demo_corpus, feature_cache)  # BatchNorm in its classifier
    state = {k: v.clone() for k, v in task.state_dict().items()}
    rng = torch.get_rng_state()
    cost = model_cost(task, batch)
    assert cost["generator_parameters"] == sum(p.numel() for p in task.generator.parameters())
    assert 0 < cost["generator_gflop_per_forward"] < cost["gflop_per_iteration"]
    assert torch.equal(rng, torch.get_rng_state())
    assert [k for k, v in task.state_dict().items() if not torch.equal(v, state[k])] == []
    assert all(p.grad is None for p in task.parameters())


def test_every_run_stores_its_cost(trained_stargan):
    cost = json.loads((trained_stargan / "model_size.json").read_text())
    assert cost["generator_parameters"] > 0 and cost["gflop_per_iteration"] > 0

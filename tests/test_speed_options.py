"""Speed options keep results: channels_last and torch.compile train to the same weights as the plain run."""

import pytest
import torch
from conftest import run_training
from hydra.utils import instantiate
from omegaconf import open_dict

from fakevideo.config import compose
from fakevideo.tasks.stargan import StarGANTask
from fakevideo.training.checkpoints import load_checkpoint, load_task

TWO_D = ["model=stargan_vc2", "data.speakers=[us1_f,us2_m]", "iterations=3", "validate_every=100",
         "evaluation.at_end=false"]


def trained_generator_output(run_dir, corpus, cache, *options) -> tuple[torch.Tensor, list[str]]:
    """Train 3 iterations; the trained generator's conversion of a fixed input, and the checkpoint's weight names."""
    run_training(run_dir, corpus, cache, *TWO_D, *options)
    checkpoint = run_dir / "checkpoints" / "last.ckpt"
    task = load_task(checkpoint, StarGANTask)
    mcep = torch.randn(1, task.feature_config.mcep_dim, 64, generator=torch.Generator().manual_seed(0))
    with torch.no_grad():
        output = task.convert_normalized(mcep, 0, 1)
    return output, sorted(load_checkpoint(checkpoint)["state_dict"])


def test_channels_last_and_compile_train_like_the_plain_model(demo_corpus, feature_cache, tmp_path):
    """Compared by what the model computes: biases ahead of instance norm get pure float-noise gradients, which
    Adam turns into visible but inconsequential weight differences."""
    plain, plain_names = trained_generator_output(tmp_path / "plain", demo_corpus, feature_cache)
    fast, fast_names = trained_generator_output(tmp_path / "fast", demo_corpus, feature_cache,
                                                "model.channels_last=true", "model.compile=aot_eager")
    assert fast_names == plain_names  # compiled in place: checkpoints keep their parameter names
    torch.testing.assert_close(fast, plain, rtol=1e-3, atol=1e-3)


@pytest.mark.parametrize("adversarial, critic_compiled", [("lsgan", True), ("wgan_gp", False)])
def test_compile_leaves_critics_eager_under_a_gradient_penalty(tmp_path, adversarial, critic_compiled):
    cfg = compose("train", ["model=stargan_vc2", f"model.loss.adversarial={adversarial}", "model.compile=inductor",
                            "model.channels_last=true"], tmp_path)
    with open_dict(cfg):
        cfg.data.num_speakers = 2
    task = instantiate(cfg.model)
    task.configure_model()
    assert task.generator._compiled_call_impl is not None
    assert (task.discriminator._compiled_call_impl is not None) is critic_compiled
    conv = next(m for m in task.generator.modules() if isinstance(m, torch.nn.Conv2d))
    assert conv.weight.is_contiguous(memory_format=torch.channels_last)

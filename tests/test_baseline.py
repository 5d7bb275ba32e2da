"""The mean/variance baseline through the one trainer, the converter and the evaluation: its conversion is the
closed-form mapping of the training split's statistics."""

import json

import numpy as np
import pytest
from conftest import run_training

from fakevideo.audio.f0 import convert_f0
from fakevideo.errors import ConfigError
from fakevideo.pipelines.convert import VoiceConverter
from fakevideo.tasks.baseline import MeanVarianceTask

SPEAKERS = ("us1_f", "us2_m")


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory, demo_corpus, feature_cache):
    run_dir = tmp_path_factory.mktemp("baseline_meanvar")
    run_training(run_dir, demo_corpus, feature_cache, "model=baseline_meanvar", f"data.speakers=[{','.join(SPEAKERS)}]",
                 "evaluation.speaker_similarity=false")
    return run_dir


def test_baseline_conversion_is_the_closed_form_mapping(baseline_run, demo_corpus):
    converter = VoiceConverter.from_checkpoint(baseline_run / "checkpoints" / "last.ckpt")
    task = converter.task
    assert isinstance(task, MeanVarianceTask) and task.speakers == list(SPEAKERS)
    rng = np.random.default_rng(0)
    mcep, f0 = rng.normal(size=(50, 36)).astype(np.float32), np.abs(rng.normal(150, 30, size=50))
    f0[::7] = 0.0
    for source, target in (SPEAKERS, SPEAKERS[::-1]):
        stats = task.data_info["stats"]
        mu_s, sd_s = np.array(stats[source]["mcep_mean"]), np.array(stats[source]["mcep_std"])
        mu_t, sd_t = np.array(stats[target]["mcep_mean"]), np.array(stats[target]["mcep_std"])
        converted, converted_f0 = task.convert_features(mcep, f0, source, target)
        expected = (mcep - mu_s) / sd_s * sd_t + mu_t
        np.testing.assert_allclose(converted[:, 1:], expected[:, 1:], rtol=1e-4, atol=1e-4)
        np.testing.assert_allclose(converted[:, 0], mcep[:, 0], rtol=1e-4, atol=1e-4)  # c0: the source's energy
        np.testing.assert_array_equal(converted_f0, convert_f0(f0, task.speaker_stats(source).logf0,
                                                               task.speaker_stats(target).logf0))
    audio = converter.convert_file(demo_corpus / SPEAKERS[0] / "harvard_001.wav", *SPEAKERS)
    assert audio.ndim == 1 and np.abs(audio).max() > 0.01


def test_smoothed_baseline_keeps_the_low_cepstra_and_sets_the_rest_to_the_target_mean(baseline_run):
    """baseline_smooth (`smooth_from=k`): the mean/variance mapping below c_k, the target speaker's mean from c_k up."""
    data = VoiceConverter.from_checkpoint(baseline_run / "checkpoints" / "last.ckpt").task.data_info
    plain, smooth = MeanVarianceTask(), MeanVarianceTask(smooth_from=8)
    for task in (plain, smooth):
        task.attach_data(data, {"model_name": "baseline"})
    mcep = np.random.default_rng(1).normal(size=(40, 36)).astype(np.float32)
    f0 = np.full(40, 120.0)
    reference, _ = plain.convert_features(mcep, f0, *SPEAKERS)
    converted, _ = smooth.convert_features(mcep, f0, *SPEAKERS)
    np.testing.assert_allclose(converted[:, :8], reference[:, :8], rtol=1e-5, atol=1e-5)
    target_mean = np.array(data["stats"][SPEAKERS[1]]["mcep_mean"])[8:]
    np.testing.assert_allclose(converted[:, 8:], np.broadcast_to(target_mean, (40, 28)), rtol=1e-5, atol=1e-5)
    with pytest.raises(ConfigError, match="model.smooth_from=0"):
        MeanVarianceTask(smooth_from=0)


def test_baseline_run_validates_evaluates_and_costs_nothing(baseline_run):
    metrics = json.loads((baseline_run / "eval" / "metrics.json").read_text())
    assert 0 < metrics["overall"]["mcd"] < 40
    assert "val/mcd" in (baseline_run / "csv" / "metrics.csv").read_text().splitlines()[0]
    cost = json.loads((baseline_run / "model_size.json").read_text())
    assert cost["generator_parameters"] == cost["critic_parameters"] == 0 and cost["gflop_per_iteration"] == 0

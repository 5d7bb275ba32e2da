"""Validation's speaker check: a model whose converted speech stays closer to the source warns, and the best
checkpoint is chosen by a conversion score (MCD and the speaker-similarity margin), not by a critic's loss."""

import csv

import pytest
from conftest import run_training

from fakevideo.tasks.speaker_check import SpeakerCheck
from fakevideo.tasks.vc import VoiceConversionTask
from fakevideo.training.checkpoints import load_checkpoint


@pytest.fixture(scope="module", autouse=True)
def _single_thread(one_thread):
    """Tiny networks."""


def test_the_warning_fires_on_a_model_that_leaves_the_voice_unchanged(tmp_path, demo_corpus, feature_cache,
                                                                      monkeypatch):
    """An untrained StarGAN-VC (one iteration) whose conversion returns the source's features as they are: the
    failure of issue 14 (critics fooled, voice unchanged) in its plainest form. A merely random generator is no
    reliable test: its noise lands on either side (measured: closer to the target with level following on)."""
    monkeypatch.setattr(VoiceConversionTask, "convert_features", lambda self, mcep, f0, source, target: (mcep, f0))
    with pytest.warns(UserWarning, match="closer to the source speaker than to the target in 2 of 2"):
        run_training(tmp_path, demo_corpus, feature_cache, "model=stargan_vc", "data.speakers=[us1_f,us2_m]",
                     "iterations=1", "validate_every=1", "evaluation.at_end=false")
    with open(tmp_path / "csv" / "metrics.csv") as f:
        logged = {k: float(v) for row in csv.DictReader(f) for k, v in row.items() if k.startswith("val/") and v}
    assert logged["val/closer_to_target"] == 0.0
    assert logged["val/speaker_similarity_target"] < logged["val/speaker_similarity_source"]
    margin = logged["val/speaker_similarity_target"] - logged["val/speaker_similarity_source"]
    assert logged["val/conversion"] == pytest.approx(logged["val/mcd"] - 10.0 * margin, rel=1e-5)
    callbacks = load_checkpoint(tmp_path / "checkpoints" / "best.ckpt")["callbacks"]
    assert any("'monitor': 'val/conversion'" in name for name in callbacks), list(callbacks)


def test_conversion_score_rewards_moving_towards_the_target():
    check = SpeakerCheck(weight=10.0)
    check.similarities = [(0.8, 0.5), (0.7, 0.6)]
    towards_target = check.summary(mcd=8.0)
    check.similarities = [(0.5, 0.8), (0.6, 0.7)]
    towards_source = check.summary(mcd=8.0)
    assert towards_target["val/closer_to_target"] == 1.0 and towards_source["val/closer_to_target"] == 0.0
    assert towards_target["val/conversion"] == pytest.approx(8.0 - 2.0)
    assert towards_source["val/conversion"] == pytest.approx(8.0 + 2.0)

"""WORLD analysis/synthesis and log-F0 conversion."""

import numpy as np
import pytest

from fakevideo.audio.f0 import LogF0Stats, convert_f0
from fakevideo.audio.io import load_audio
from fakevideo.audio.world import WorldConfig, analyze, synthesize
from fakevideo.errors import ConfigError
from fakevideo.metrics.mcd import mel_cepstral_distortion


@pytest.mark.parametrize("method", ["dio", "harvest"])
def test_analysis_synthesis_round_trip_keeps_speech(demo_corpus, method):
    cfg = WorldConfig(f0_method=method)
    audio, _ = load_audio(demo_corpus / "us2_m" / "harvard_001.wav", cfg.sample_rate)
    feats = analyze(audio, cfg)
    resynth = synthesize(feats.f0, feats.mcep, feats.ap, cfg)
    assert abs(len(resynth) - len(audio)) <= cfg.hop_length
    again = analyze(resynth[: len(audio)], cfg)
    frames = min(again.num_frames, feats.num_frames)
    voiced = (feats.f0[:frames] > 0) & (again.f0[:frames] > 0)
    assert voiced.mean() > 0.4
    # WORLD re-analysis of its own synthesis typically lands 3-3.5 dB MCD away on voiced frames
    mcd = mel_cepstral_distortion(again.mcep[:frames][voiced], feats.mcep[:frames][voiced])
    assert mcd < 4.5, f"re-analysis differs by {mcd:.2f} dB"
    cents = 1200 * np.abs(np.log2(again.f0[:frames][voiced] / feats.f0[:frames][voiced]))
    assert np.median(cents) < 30


def test_features_have_configured_shapes():
    cfg = WorldConfig(sample_rate=22050, mcep_dim=34, f0_method="dio")
    t = np.arange(22050) / 22050
    feats = analyze((0.3 * np.sin(2 * np.pi * 150 * t)).astype(np.float32), cfg)
    assert feats.mcep.shape == (feats.num_frames, 34)
    assert abs(feats.num_frames - 1000 / cfg.frame_period) <= 2
    assert np.median(feats.f0[feats.f0 > 0]) == pytest.approx(150, rel=0.03)


@pytest.mark.parametrize("field,value", [("f0_method", "yin"), ("sample_rate", 4000), ("mcep_dim", 2)])
def test_bad_feature_config_names_the_key(field, value):
    with pytest.raises(ConfigError, match=f"features.{field}"):
        WorldConfig(**{field: value})


def test_log_f0_conversion_matches_target_statistics():
    rng = np.random.default_rng(0)
    f0 = np.exp(rng.normal(np.log(120), 0.1, 500))
    f0[::5] = 0
    source = LogF0Stats.from_contours([f0])
    target = LogF0Stats(mean=np.log(220.0), std=0.2)
    out = convert_f0(f0, source, target)
    assert np.all(out[::5] == 0)
    logs = np.log(out[out > 0])
    assert logs.mean() == pytest.approx(target.mean, abs=1e-6)
    assert logs.std() == pytest.approx(target.std, abs=1e-6)

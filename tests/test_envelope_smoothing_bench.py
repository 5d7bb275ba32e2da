"""bench/envelope_smoothing.py: the resynthesis it measures replaces exactly the cepstra from c_k up by the speaker's
mean and leaves the rest (and, for None, everything) as analysed."""

from __future__ import annotations

import numpy as np
import pytest

from fakevideo.audio.world import WorldFeatures


@pytest.fixture
def smoothing(bench_module):
    return bench_module("envelope_smoothing")


def test_only_the_cepstra_from_the_first_replaced_one_become_the_speaker_mean(smoothing):
    rng = np.random.default_rng(0)
    features = WorldFeatures(f0=np.full(50, 120.0, np.float32), mcep=rng.normal(size=(50, 36)).astype(np.float32),
                             ap=np.zeros((50, 1), np.float32))
    mean = rng.normal(size=36).astype(np.float32)
    smoothed = smoothing.with_mean_envelope_from(features, mean, 8)
    np.testing.assert_array_equal(smoothed[:, :8], features.mcep[:, :8])
    np.testing.assert_array_equal(smoothed[:, 8:], np.broadcast_to(mean[8:], (50, 28)))
    np.testing.assert_array_equal(smoothing.with_mean_envelope_from(features, mean, None), features.mcep)
    assert not np.shares_memory(smoothed, features.mcep)

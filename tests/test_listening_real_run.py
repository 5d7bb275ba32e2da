"""The listening test built from a real tiny StarGAN-VC run (the session fixture the voice-path tests share):
the samples the task writes, their labels and the corpus named in the run's config.yaml fit together."""

import json
from pathlib import Path

from fakevideo.listening import build_listening_test


def test_build_from_a_trained_run(trained_stargan, tmp_path):
    page, key = build_listening_test(trained_stargan, tmp_path, num_questions=3, seed=0)
    key = json.loads(key.read_text())
    assert key["systems"] == ["iter_0000020", "iter_0000040"]  # one system per validation
    assert len(key["questions"]) == 3 and page.stat().st_size > 10_000
    for question in key["questions"]:
        assert Path(question["source_clip"]).parent.name == question["source"]
        assert Path(question["reference_clip"]).parent.name == question["target"] != question["source"]
        assert {clip["system"] for clip in question["clips"].values()} == set(key["systems"])

"""Data-parallel training on CPU with two gloo processes, through the train.py contract."""

import subprocess
import sys

import pytest
from conftest import REPO, copy_corpus

from fakevideo.training.checkpoints import load_checkpoint

pytestmark = pytest.mark.filterwarnings("ignore")


def digest_overrides(out) -> list[str]:
    return ["+callbacks.digest._target_=fakevideo.training.callbacks.WeightDigest",
            f"+callbacks.digest.dirpath={out / 'digests'}"]


def same_weights_on_both_ranks(out) -> bool:
    digests = [(out / "digests" / f"weights_rank{rank}.sha256").read_text() for rank in (0, 1)]
    return digests[0] == digests[1]


def test_two_process_ddp_leaves_one_checkpoint_set(demo_corpus, tmp_path):
    corpus = copy_corpus(demo_corpus, tmp_path / "corpus", ("us1_f", "us2_m"))
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "train.py", "model=stargan_vc", f"data.root={corpus}", "iterations=3", "trainer=ddp",
         "trainer.accelerator=cpu", "trainer.devices=2", f"hydra.run.dir={out}", "size=tiny",
         "data.features.f0_method=dio", "data.num_test=2", f"data.cache_dir={tmp_path / 'cache'}",
         "evaluation.speaker_similarity=false", *digest_overrides(out)],
        cwd=REPO, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["last.ckpt"]
    checkpoint = load_checkpoint(out / "checkpoints" / "last.ckpt")
    assert checkpoint["global_step"] == 6
    assert same_weights_on_both_ranks(out)
    assert (out / "train_ddp_process_1.log").is_file()  # the second rank ran
    assert (out / "eval" / "metrics.json").is_file()


def test_two_process_ddp_trains_a_face_model(tmp_path):
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "train.py", "model=fsgan_completion", "data=faces", "iterations=2", "trainer=ddp",
         "trainer.accelerator=cpu", "trainer.devices=2", f"hydra.run.dir={out}", "size=tiny", "data.image_size=64",
         f"data.demo_dir={tmp_path / 'faces'}", f"data.cache_dir={tmp_path / 'cache'}",
         "trainer.enable_progress_bar=false", *digest_overrides(out)],
        cwd=REPO, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stderr[-3000:]
    assert sorted(p.name for p in (out / "checkpoints").iterdir()) == ["last.ckpt"]
    assert load_checkpoint(out / "checkpoints" / "last.ckpt")["global_step"] == 4
    assert same_weights_on_both_ranks(out)
    assert (out / "train_ddp_process_1.log").is_file()

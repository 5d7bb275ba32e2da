"""The four FSGAN recipes trained through the one trainer on the demo faces: losses fall, iterations are
generator updates, samples and checkpoints land in the run directory, bad media give one-line errors."""

import csv
import shutil
import subprocess
import sys

import numpy as np
import pytest
import torch
from conftest import FACE_DETECTOR, REPO, face_overrides

from fakevideo.config import compose
from fakevideo.data.faces import FaceDataModule
from fakevideo.errors import ConfigError, InputError, user_error
from fakevideo.tasks.fsgan import FaceTask, ReenactmentTask
from fakevideo.training.checkpoints import load_checkpoint, load_task
from fakevideo.training.run import train
from fakevideo.video.io import VideoWriter

MAIN_LOSS = {"fsgan_reenactment": "l1", "fsgan_completion": "l1", "fsgan_blending": "poisson",
             "fsgan_segmentation": "ce"}
ITERATIONS = 30
# The loss-lowering runs leave out the (random) VGG term: it is tested on its own, costs most of the time at
# this size and would dominate the gradient. The command-line test trains with it.
NO_PERCEPTUAL = ("model.loss.perceptual=0", "model.perceptual=null")


@pytest.fixture(scope="module", autouse=True)
def _single_thread(one_thread):
    """Every test here runs tiny networks."""


def run_faces(run_dir, face_dirs, model, *extra):
    cfg = compose("train", face_overrides(face_dirs, model, *extra), run_dir)
    train(cfg)
    return cfg


def series(run_dir, key):
    with open(run_dir / "csv" / "metrics.csv") as f:
        return np.array([float(r[key]) for r in csv.DictReader(f) if r.get(key)])


@pytest.fixture(scope="module", params=sorted(MAIN_LOSS))
def trained(request, tmp_path_factory, face_dirs):
    model = request.param
    run_dir = tmp_path_factory.mktemp(model)
    extra = () if model == "fsgan_segmentation" else NO_PERCEPTUAL
    run_faces(run_dir, face_dirs, model, f"iterations={ITERATIONS}", f"validate_every={ITERATIONS}", *extra)
    return model, run_dir


def test_tiny_run_lowers_the_main_loss(trained):
    model, run_dir = trained
    loss = series(run_dir, f"train/g_{MAIN_LOSS[model]}")
    assert len(loss) == ITERATIONS
    assert loss[-8:].mean() < 0.85 * loss[:8].mean(), loss


def test_run_leaves_checkpoint_samples_and_data_summary(trained):
    model, run_dir = trained
    checkpoint = load_checkpoint(run_dir / "checkpoints" / "last.ckpt")
    steps = 1 if model == "fsgan_segmentation" else 2  # one critic + one generator update per iteration
    assert checkpoint["global_step"] == ITERATIONS * steps
    assert checkpoint["lr_schedulers"][0]["last_epoch"] == ITERATIONS
    info = checkpoint["fakevideo"]
    assert info["family"] == model and info["data"]["image_size"] == 64
    assert info["data"]["identities"] == ["astronaut", "astronaut_mirror_tint", "grace_hopper",
                                          "grace_hopper_mirror_tint"]
    assert not any(k.startswith("perceptual.") for k in checkpoint["state_dict"])  # VGG never stored
    sample = run_dir / "samples" / f"iter_{ITERATIONS:07d}" / f"{model}.png"
    assert sample.stat().st_size > 1000
    assert (run_dir / "data_faces.png").stat().st_size > 1000
    assert series(run_dir, f"val/{MAIN_LOSS[model]}").size == 1


def test_checkpoint_round_trip_rebuilds_the_same_model(trained, face_dirs):
    model, run_dir = trained
    checkpoint = load_checkpoint(run_dir / "checkpoints" / "last.ckpt")
    task = load_task(run_dir / "checkpoints" / "last.ckpt", FaceTask)
    for key, value in checkpoint["state_dict"].items():
        assert torch.equal(task.state_dict()[key], value), key
    demo, cache = face_dirs
    data = FaceDataModule(demo_dir=str(demo), cache_dir=str(cache), detector=FACE_DETECTOR, image_size=64,
                          pairing=task.pairing)
    data.setup()
    batch = data.on_after_batch_transfer(next(iter(data.val_dataloader())), 0)
    prepared = task.prepare(batch, torch.Generator().manual_seed(0))
    with torch.no_grad():
        output = task.generator(prepared["input"])
        again = load_task(run_dir / "checkpoints" / "last.ckpt").generator(prepared["input"])
    torch.testing.assert_close(output, again)
    assert output.shape[-2:] == (64, 64)


def test_pairs_follow_the_recipe(face_dirs):
    demo, cache = face_dirs
    for pairing in ("same_video", "cross_identity"):
        data = FaceDataModule(demo_dir=str(demo), cache_dir=str(cache), detector=FACE_DETECTOR, image_size=64,
                              pairing=pairing)
        data.setup()
        loader = data.train_dataloader()
        batch = next(iter(loader))
        same = batch["source_identity"] == batch["target_identity"]
        assert same.all() if pairing == "same_video" else not same.any()
        assert batch["source_image"].shape == (4, 3, 64, 64) and batch["target_landmarks"].shape == (4, 68, 2)
        assert torch.equal(batch["target_masks"].sum(1), torch.ones(4, 64, 64))


def test_perceptual_loss_without_weights_stops_the_command_in_one_line(tmp_path, face_dirs):
    overrides = face_overrides(face_dirs, "fsgan_completion", "iterations=1", "model.perceptual.allow_random=false")
    result = subprocess.run([sys.executable, "train.py", *overrides, f"hydra.run.dir={tmp_path}"], cwd=REPO,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines()[-1] == (
        "error: model.perceptual.weights is null: give the path of an ImageNet VGG-19 state dict (torchvision's "
        "vgg19-dcbb9e9d.pth) or set model.perceptual.allow_random=true for random features")


def test_recipe_and_data_pairing_must_agree(tmp_path, face_dirs):
    with pytest.raises(ConfigError, match="data.pairing=cross_identity: fsgan_reenactment trains on "
                                          "data.pairing=same_video"):
        run_faces(tmp_path, face_dirs, "fsgan_reenactment", "iterations=1", "data.pairing=cross_identity")


def test_wrong_generator_input_is_a_config_error(tmp_path, face_dirs):
    with pytest.raises(Exception) as err:
        run_faces(tmp_path, face_dirs, "fsgan_reenactment", "iterations=1", "model.generator.in_channels=7")
    assert str(user_error(err.value)) == "model.generator.in_channels=7: the ReenactmentTask generator takes 71 " \
        "channels"
    assert ReenactmentTask.input_channels == 3 + 68


def user_folder(face_dirs, root):
    """A user's folder: two identities, one demo clip each, plus a stray text file."""
    demo, _ = face_dirs
    for identity in ("astronaut", "grace_hopper"):
        (root / identity).mkdir(parents=True)
        shutil.copy(demo / identity / "clip0.mp4", root / identity / "clip0.mp4")
    (root / "notes.txt").write_text("not a video")
    return root


def test_train_command_line_contract_on_a_user_folder(face_dirs, tmp_path):
    root = user_folder(face_dirs, tmp_path / "faces")
    out = tmp_path / "out"
    overrides = [o for o in face_overrides(face_dirs, "fsgan_blending", "iterations=2") if "demo_dir" not in o]
    result = subprocess.run([sys.executable, "train.py", *overrides, f"data.root={root}", f"hydra.run.dir={out}"],
                            cwd=REPO, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    checkpoint = load_checkpoint(out / "checkpoints" / "last.ckpt")
    assert checkpoint["fakevideo"]["data"]["identities"] == ["astronaut", "grace_hopper"]
    assert checkpoint["global_step"] == 4


def test_bad_media_give_one_line_errors(face_dirs, tmp_path):
    _, cache = face_dirs

    def setup(root, **kwargs):
        FaceDataModule(root=str(root), cache_dir=str(cache), detector=FACE_DETECTOR, **kwargs).setup()

    with pytest.raises(ConfigError, match="nowhere: no such folder"):
        setup(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="empty: no videos or images"):
        setup(tmp_path / "empty")
    corrupt = tmp_path / "corrupt"
    (corrupt / "someone").mkdir(parents=True)
    (corrupt / "someone" / "broken.mp4").write_bytes(b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4)
    with pytest.raises(InputError, match=r"broken.mp4: ") as err:
        setup(corrupt)
    assert "\n" not in str(err.value)
    faceless = tmp_path / "faceless"
    with VideoWriter(faceless / "wall.mp4", 25.0) as writer:
        for shade in range(4):
            writer.write(np.full((64, 64, 3), 60 * shade, np.uint8))
    with pytest.raises(InputError, match=r"wall.mp4: no face found in any of its 4 frames"):
        setup(faceless)
    single = user_folder(face_dirs, tmp_path / "single")
    shutil.rmtree(single / "grace_hopper")
    with pytest.raises(InputError, match="cross_identity needs faces of at least two identities"):
        setup(single, pairing="cross_identity")
    with pytest.raises(ConfigError, match="data.image_size=300"):
        setup(single, image_size=300)

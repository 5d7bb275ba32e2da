"""The sweep report shows each job's latest validation figures, the ones the dashboards get: spectral envelopes
and F0 for a voice run, source / driving / output / target grids with landmarks for a face run."""

import filecmp
import shutil

import torch
import yaml
from conftest import FACE_DETECTOR, face_overrides

from fakevideo.config import compose
from fakevideo.data.faces import FaceDataModule
from fakevideo.evaluation.report import write_report
from fakevideo.training.checkpoints import load_task
from fakevideo.training.run import train


def mark_job(job, overrides: list[str]) -> None:
    """Make a run directory a sweep job, as Hydra's multirun leaves it."""
    (job / ".hydra").mkdir(parents=True, exist_ok=True)
    (job / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))


def test_report_shows_the_latest_validation_figures_of_a_voice_and_a_face_run(tmp_path, trained_stargan, face_dirs):
    sweep = tmp_path / "sweep"
    voice, face = sweep / "voice", sweep / "face"
    shutil.copytree(trained_stargan, voice, ignore=shutil.ignore_patterns("checkpoints", "eval"))
    mark_job(voice, ["model=stargan_vc"])
    train(compose("train", face_overrides(face_dirs, "fsgan_reenactment", "iterations=2", "validate_every=2",
                                          "model.loss.perceptual=0", "model.perceptual=null"), face))
    mark_job(face, ["model=fsgan_reenactment"])

    write_report(sweep)

    out = sweep / "report"
    latest = trained_stargan / "samples" / "iter_0000040"  # validations at 20 and 40 iterations
    envelopes = sorted(latest.glob("*.png"))
    assert envelopes  # one per converted validation utterance written
    assert sorted(p.name for p in (out / "samples" / "voice").iterdir()) == [p.name for p in envelopes]
    assert all(filecmp.cmp(p, out / "samples" / "voice" / p.name, shallow=False) for p in envelopes)
    grid = out / "samples" / "face" / "fsgan_reenactment.png"
    assert filecmp.cmp(face / "samples" / "iter_0000002" / "fsgan_reenactment.png", grid, shallow=False)
    report = (out / "report.md").read_text()
    assert "### voice (iter_0000040)" in report and "### face (iter_0000002)" in report
    assert all(f"(<samples/voice/{p.name}>)" in report for p in envelopes)
    assert "(<samples/face/fsgan_reenactment.png>)" in report

    # The face figure: one row per sample, source / driving / output / target, each with its 68 landmarks.
    task = load_task(face / "checkpoints" / "last.ckpt")
    demo, cache = face_dirs
    data = FaceDataModule(demo_dir=str(demo), cache_dir=str(cache), detector=FACE_DETECTOR, image_size=64)
    data.setup()
    batch = data.on_after_batch_transfer(next(iter(data.val_dataloader())), 0)
    prepared = task.prepare(batch)
    with torch.no_grad():
        figure = task.sample_figure(task.generator(prepared["input"]), prepared, batch)
    axes = figure.axes
    assert len(axes) == 4 * len(batch["target_image"])
    assert [axis.get_title() for axis in axes[:4]] == ["source", "driving", "output", "target"]
    first_row = [axis.collections[0].get_offsets() for axis in axes[:4]]
    assert all(points.shape == (68, 2) for points in first_row)
    assert torch.allclose(torch.as_tensor(first_row[0]), batch["source_landmarks"][0].double())
    assert all(torch.allclose(torch.as_tensor(p), batch["target_landmarks"][0].double()) for p in first_row[1:])

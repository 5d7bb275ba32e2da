"""`python -m fakevideo.evaluate_swap` end to end on 96 px demo clips: table, CSVs, plots, one-line errors."""

import csv
import subprocess
import sys

import numpy as np
import pytest

from fakevideo.data.demo_faces import build_demo_faces
from fakevideo.evaluation.swap import main
from fakevideo.metrics.video_similarity import FEATURES

NUM_FRAMES = 6


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo_faces")
    built = build_demo_faces(root, NUM_FRAMES, 96, clips_per_identity=1, identities=["astronaut", "grace_hopper"])
    return {c.identity: c.video for c in built}


def test_cli_writes_table_csv_and_plots(clips, tmp_path, capsys):
    # A "swap" that failed completely: the output is the target itself, so it matches the target, not the source.
    target, source = clips["astronaut"], clips["grace_hopper"]
    out = tmp_path / "eval"
    main([str(target), str(source), str(target), "--out", str(out)])
    table = capsys.readouterr().out
    assert "target     pixels     1.0000   0.000000   1.0000" in table
    assert "pose error vs target (degrees): yaw 0.00, pitch 0.00, roll 0.00" in table

    with open(out / "frames.csv") as f:
        rows = list(csv.DictReader(f))
    assert [int(r["frame"]) for r in rows] == list(range(NUM_FRAMES))
    column = {name: np.array([float(r[name]) for r in rows]) for name in rows[0]}
    np.testing.assert_allclose(column["target_pca_cosine"], 1.0, atol=1e-6)
    assert (column["source_pixels_ssim"] < 0.9).all() and np.isnan(column["target_face_ssim"]).all()
    assert (column["identity_to_target"] > column["identity_to_source"]).all()

    with open(out / "summary.csv") as f:
        summary = {r["measure"]: float(r["mean"]) for r in csv.DictReader(f)}
    assert summary["source_pixels_mse"] == pytest.approx(column["source_pixels_mse"].mean(), rel=1e-5)
    assert summary["expression_error"] == 0.0
    assert summary["flicker"] == 0.0 and "flicker (face change" in table  # the target against itself
    # The demo clips have no audio track: their sync is reported as unknown, not invented.
    assert "audio-visual sync" in table and np.isnan(summary["sync_correlation_swapped"])
    assert np.isnan(summary["sync_offset_s_target"])
    for name in [f"similarity_{feature}" for feature in FEATURES] + ["coherence"]:  # coherence: flicker and sync
        png = (out / f"{name}.png").read_bytes()
        assert png.startswith(b"\x89PNG") and len(png) > 5000


def test_cli_names_a_bad_file_in_one_line(clips, tmp_path, capsys):
    target = str(clips["astronaut"])
    missing = tmp_path / "missing.mp4"
    result = subprocess.run(
        [sys.executable, "-m", "fakevideo.evaluate_swap", target, str(missing), target, "--out", str(tmp_path / "o")],
        capture_output=True, text=True,
    )
    assert result.returncode == 2 and result.stderr == f"error: {missing}: no such video file\n"

    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(b"not a video at all" * 50)
    with pytest.raises(SystemExit) as exited:
        main([target, target, str(garbage), "--out", str(tmp_path / "o")])
    stderr = capsys.readouterr().err
    assert exited.value.code == 2 and stderr.startswith(f"error: {garbage}: ") and stderr.count("\n") == 1
    assert not (tmp_path / "o").exists()

"""Bursts in converted speech: the loudest 5 ms frame over the median speech frame of every converted test
sentence of a trained run, and the mean MCD to the target speaker's same sentence, with the model's own output
(level limit off) and with the shipped level limit (`model.level_margin_db`).

    PYTHONPATH=. python bench/bursts.py RUN_DIR [RUN_DIR ...]

Each run's test sentences (stored in its checkpoint) are read from its corpus (the demo corpus unless the run set
data.root) and converted in every direction; natural speech of each speaker is the reference row. Prints a markdown
table for bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf

from fakevideo.audio.io import load_audio
from fakevideo.audio.world import analyze, synthesize
from fakevideo.metrics.bursts import burst_metrics
from fakevideo.metrics.mcd import mel_cepstral_distortion
from fakevideo.pipelines.convert import VoiceConverter


def measure(converter: VoiceConverter, pairs: list[tuple[Path, Path]], source: str, target: str) -> str:
    """Peak over the median speech frame (dB) of each converted file, and their mean MCD to the target's files."""
    cfg, rate = converter.features, converter.sample_rate
    peaks, mcds = [], []
    for source_path, target_path in pairs:
        feats = analyze(load_audio(source_path, rate)[0], cfg, code_aperiodicity=False)
        mcep, f0 = converter.task.convert_features(feats.mcep, feats.f0, source, target)
        peaks.append(burst_metrics(synthesize(f0, mcep, feats.ap, cfg), rate)["peak_over_speech_db"])
        mcds.append(mel_cepstral_distortion(mcep, analyze(load_audio(target_path, rate)[0], cfg).mcep))
    return f"{cells(peaks)} | {np.mean(mcds):.2f}"


def cells(values: list[float]) -> str:
    return " ".join(f"{v:.1f}" for v in values) + f" (max {max(values):.1f})"


def run_rows(run: Path) -> list[str]:
    converter = VoiceConverter.from_checkpoint(run / "checkpoints" / "last.ckpt")
    task, data = converter.task, OmegaConf.load(run / "config.yaml").data
    corpus = Path(data.root or data.demo_dir)
    files = {s: [corpus / s / f"{utt}.wav" for utt in task.data_info["test_ids"]] for s in task.speakers}
    shipped = task.level_margin_db
    rows = []
    for source in task.speakers:
        for target in task.speakers:
            if source == target:
                continue
            pairs = list(zip(files[source], files[target], strict=True))
            task.level_margin_db = None
            before = measure(converter, pairs, source, target)
            task.level_margin_db = shipped
            after = measure(converter, pairs, source, target)
            rows.append(f"| {run.name} ({task.model_name}) | {source} -> {target} | {before} | {after} |")
    for speaker, paths in files.items():
        natural = [burst_metrics(load_audio(p, converter.sample_rate)[0], converter.sample_rate)["peak_over_speech_db"]
                   for p in paths]
        rows.append(f"| natural speech | {speaker} | {cells(natural)} | | | |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, nargs="+")
    args = parser.parse_args()
    print("| run | direction | peak over median speech (dB), limit off | MCD | with the limit | MCD |")
    print("|---|---|---|---|---|---|")
    for run in args.runs:
        print("\n".join(run_rows(run)))


if __name__ == "__main__":
    main()

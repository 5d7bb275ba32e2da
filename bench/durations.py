"""Rhythm-aware conversion on a parallel corpus: for every test sentence of a run, in every direction, the speech
duration of the converted sentence against the target speaker's own reading of it, and MCD (DTW) to that reading,
with `duration=keep`, `global` and `voiced`.

    PYTHONPATH=. python bench/durations.py RUN_DIR [RUN_DIR ...]

Speech duration is from the first voiced frame to the last (the silence a synthesiser pads around a sentence is
not rhythm), taken from the WORLD features synthesis would get. The run's test sentences (stored in its checkpoint)
are read from its corpus (the demo corpus unless the run set data.root). Prints a markdown table for
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
from functools import cache
from itertools import permutations
from pathlib import Path

import numpy as np
from omegaconf import OmegaConf

from fakevideo.audio.durations import DURATION_MODES
from fakevideo.audio.io import load_audio
from fakevideo.audio.world import WorldConfig, WorldFeatures, analyze
from fakevideo.metrics.mcd import mel_cepstral_distortion
from fakevideo.pipelines.convert import VoiceConverter


def speech_seconds(f0: np.ndarray, frame_period_ms: float) -> float:
    """From the first voiced frame to the last, in seconds."""
    voiced = np.flatnonzero(f0 > 0)
    return (voiced[-1] - voiced[0] + 1) * frame_period_ms / 1000


@cache
def features(path: Path, cfg: WorldConfig) -> WorldFeatures:
    return analyze(load_audio(path, cfg.sample_rate)[0], cfg, code_aperiodicity=False)


def run_rows(run: Path) -> list[str]:
    checkpoint = run / "checkpoints" / "last.ckpt"
    converters = {mode: VoiceConverter.from_checkpoint(checkpoint, duration=mode) for mode in DURATION_MODES}
    task, cfg = converters["keep"].task, converters["keep"].features
    data = OmegaConf.load(run / "config.yaml").data
    corpus = Path(data.root or data.demo_dir)
    rows = []
    for source, target in permutations(task.speakers, 2):
        ratios: dict[str, list[float]] = {mode: [] for mode in DURATION_MODES}
        mcds: dict[str, list[float]] = {mode: [] for mode in DURATION_MODES}
        for utt in task.data_info["test_ids"]:
            reference = features(corpus / target / f"{utt}.wav", cfg)
            for mode, converter in converters.items():
                converted = converter.convert_world(features(corpus / source / f"{utt}.wav", cfg), source, target)
                ratios[mode].append(speech_seconds(converted.f0, cfg.frame_period)
                                    / speech_seconds(reference.f0, cfg.frame_period))
                mcds[mode].append(mel_cepstral_distortion(converted.mcep, reference.mcep))
        for mode in DURATION_MODES:
            error = np.abs(np.log(ratios[mode]))
            rows.append(f"| {run.name} ({task.model_name}) | {source} -> {target} | {mode} | "
                        f"{np.mean(ratios[mode]):.3f} | {100 * (np.exp(np.mean(error)) - 1):.1f} % | "
                        f"{np.mean(mcds[mode]):.2f} |")
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("runs", type=Path, nargs="+")
    args = parser.parse_args()
    print("| run | direction | duration | converted / target speech duration (mean) | mean duration error | "
          "MCD (dB) |")
    print("|---|---|---|---|---|---|")
    for run in args.runs:
        print("\n".join(run_rows(run)))


if __name__ == "__main__":
    main()

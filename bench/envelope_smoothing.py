"""Bursts from a flattened envelope alone: natural speech resynthesised with its cepstra from c_k up replaced by the
speaker's mean, which is what baseline_smooth does and where every size=cpu generator starts (residual=8).

    PYTHONPATH=. python bench/envelope_smoothing.py [--voices NAME=VOICE ...] [--sentences 8] [--from 8 13 20]
                                                    [--f0-method dio] [--out DIR]

Builds the espeak-ng corpus of `--voices` offline (default: bench/quality.py's held-out pair), analyses each
speaker's first `--sentences` sentences with WORLD at 16 kHz and prints, per speaker and per first replaced
cepstrum, the mean bursts per minute and loudest 5 ms frame over the median speech frame (`fakevideo.metrics.bursts`)
of the resynthesised speech, next to the same speech resynthesised unchanged. No model is involved: it separates
what the smoothing does to the waveform from what a trained generator adds.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from fakevideo.audio.io import load_audio
from fakevideo.audio.world import WorldConfig, WorldFeatures, analyze, synthesize
from fakevideo.data.demo import build_demo_corpus
from fakevideo.metrics.bursts import burst_metrics

sys.path.insert(0, str(Path(__file__).resolve().parent))
from quality import HELD_OUT, voice_arg  # noqa: E402  (the bench's own held-out pair and NAME=VOICE parsing)

SAMPLE_RATE = 16000


def with_mean_envelope_from(features: WorldFeatures, mean_mcep: np.ndarray, first: int | None) -> np.ndarray:
    """The utterance's MCEPs [T, D] with c_first and up set to the speaker's mean (None: unchanged)."""
    mcep = features.mcep.copy()
    if first is not None:
        mcep[:, first:] = mean_mcep[first:]
    return mcep


def speaker_rows(files: list[Path], cfg: WorldConfig, firsts: list[int]) -> dict[str, tuple[float, float]]:
    """(bursts per minute, loudest frame over speech in dB), averaged over the files, per variant."""
    features = [analyze(load_audio(path, SAMPLE_RATE)[0], cfg) for path in files]
    mean_mcep = np.concatenate([f.mcep for f in features]).mean(axis=0)
    rows = {}
    for first in [None, *firsts]:
        measured = [burst_metrics(synthesize(f.f0, with_mean_envelope_from(f, mean_mcep, first), f.ap, cfg),
                                  SAMPLE_RATE) for f in features]
        label = "resynthesised as is" if first is None else f"c{first} and up = speaker mean"
        rows[label] = (float(np.mean([m["bursts_per_minute"] for m in measured])),
                       float(np.mean([m["peak_over_speech_db"] for m in measured])))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--voices", nargs="+", metavar="NAME=VOICE", type=voice_arg, default=list(HELD_OUT.items()))
    parser.add_argument("--sentences", type=int, default=8)
    parser.add_argument("--from", dest="firsts", nargs="+", type=int, default=[8, 13, 20],
                        help="first cepstrum replaced by the speaker's mean (8: baseline_smooth)")
    parser.add_argument("--f0-method", default="dio", choices=["dio", "harvest"])
    parser.add_argument("--out", type=Path, default=Path("outputs/bench_envelope_smoothing"))
    args = parser.parse_args()
    voices = dict(args.voices)
    corpus = build_demo_corpus(args.out / "corpus", num_sentences=args.sentences, voices=voices)
    cfg = WorldConfig(sample_rate=SAMPLE_RATE, f0_method=args.f0_method)
    print(f"{args.sentences} sentences per speaker, WORLD at {SAMPLE_RATE} Hz, F0 {args.f0_method}; each cell: "
          f"bursts per minute, loudest 5 ms frame over the median speech frame (dB)\n")
    print("| speaker | variant | bursts / min | loudest frame (dB) |\n|---|---|---|---|")
    for name, voice in voices.items():
        files = sorted((corpus / name).glob("*.wav"))
        for label, (bursts, peak) in speaker_rows(files, cfg, args.firsts).items():
            print(f"| {name} ({voice}) | {label} | {bursts:.1f} | {peak:.1f} |")


if __name__ == "__main__":
    main()

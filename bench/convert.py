"""Conversion speed: real-time factor of one 10 s utterance on one thread (model loaded beforehand), per stage,
with harvest and with dio; and a folder converted serially vs by the all-core thread pool.

    PYTHONPATH=. python bench/convert.py [--model stargan_vc2] [--seconds 10] [--files 16]

The model is the recipe at paper size with random weights and unit speaker statistics: conversion cost does
not depend on what the weights learnt. The utterance is demo-corpus speech (synthetic voices) concatenated.
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

import numpy as np
import torch
from hydra.utils import instantiate
from omegaconf import open_dict

from fakevideo.audio.io import load_audio, write_audio
from fakevideo.audio.world import WorldConfig, analyze, synthesize
from fakevideo.config import compose
from fakevideo.data.demo import build_demo_corpus
from fakevideo.pipelines.convert import VoiceConverter, convert_paths

SPEAKERS = ["a", "b"]


def random_converter(model: str, f0_method: str, scratch: Path) -> VoiceConverter:
    """The recipe at paper size, untrained, with identity speaker statistics."""
    cfg = compose("train", [f"model={model}", "size=paper", f"data.features.f0_method={f0_method}"], scratch)
    with open_dict(cfg):
        cfg.data.num_speakers = len(SPEAKERS)
    task = instantiate(cfg.model)
    features = WorldConfig(**{k: cfg.data.features[k] for k in ("sample_rate", "frame_period", "mcep_dim",
                                                                 "f0_method", "f0_floor", "f0_ceil")})
    stats = {"logf0_mean": 5.0, "logf0_std": 0.2, "mcep_mean": [0.0] * features.mcep_dim,
             "mcep_std": [1.0] * features.mcep_dim}
    task.attach_data({"speakers": SPEAKERS, "features": features.as_dict(),
                      "stats": {name: stats for name in SPEAKERS}}, {})
    return VoiceConverter(task.eval())


def speech(seconds: float, corpus: Path) -> np.ndarray:
    """`seconds` of demo speech at 16 kHz, utterances of every speaker end to end."""
    pieces, total = [], 0
    for path in sorted(corpus.glob("*/*.wav")):
        audio, _ = load_audio(path, 16000)
        pieces.append(audio)
        total += len(audio)
        if total >= seconds * 16000:
            break
    return np.concatenate(pieces)[: int(seconds * 16000)]


def best_of(run, repeats: int = 3) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return best


def stage_times(converter: VoiceConverter, audio: np.ndarray) -> dict[str, float]:
    """Seconds of each conversion stage and of the whole `convert` call."""
    cfg = converter.features
    feats = analyze(audio, cfg, code_aperiodicity=False)
    mcep, f0 = converter.task.convert_features(feats.mcep, feats.f0, *SPEAKERS)
    with torch.no_grad():
        return {
            "WORLD analysis": best_of(lambda: analyze(audio, cfg, code_aperiodicity=False)),
            "generator": best_of(lambda: converter.task.convert_features(feats.mcep, feats.f0, *SPEAKERS)),
            "WORLD synthesis": best_of(lambda: synthesize(f0, mcep, feats.ap, cfg)),
            "convert (total)": best_of(lambda: converter.convert(audio, *SPEAKERS)),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="stargan_vc2")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--files", type=int, default=16, help="files in the folder-conversion comparison")
    parser.add_argument("--corpus", default="data/demo/vc")
    args = parser.parse_args()
    torch.set_num_threads(1)
    corpus = build_demo_corpus(args.corpus)
    audio = speech(args.seconds, corpus)
    print(f"{args.model} at paper size, {len(audio) / 16000:.1f} s utterance, 1 thread (torch and WORLD)")
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        for f0_method in ("harvest", "dio"):
            converter = random_converter(args.model, f0_method, scratch / f0_method)
            times = stage_times(converter, audio)
            total = times["convert (total)"]
            print(f"  {f0_method}: real-time factor {total / args.seconds:.3f} ({args.seconds / total:.1f}x real "
                  f"time; targets: harvest < 1, dio >= 10x)")
            for stage, seconds in times.items():
                print(f"    {stage:18s} {seconds:7.3f} s")

        converter = random_converter(args.model, "harvest", scratch / "folder")
        folder = scratch / "in"
        folder.mkdir()
        for index in range(args.files):
            write_audio(folder / f"utt{index:02d}.wav", speech(3.0, corpus) * (0.5 + 0.05 * index), 16000)
        serial = best_of(lambda: convert_paths(converter, folder, scratch / "serial", *SPEAKERS, num_workers=1), 1)
        pooled = best_of(lambda: convert_paths(converter, folder, scratch / "pooled", *SPEAKERS, num_workers=None), 1)
        print(f"folder of {args.files} x 3 s (harvest): serial {serial:.1f} s, {os.cpu_count()} threads "
              f"{pooled:.1f} s = {serial / pooled:.2f}x")
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {peak:.0f} MiB (one process: the pool's threads share the model)")


if __name__ == "__main__":
    main()

"""Cut a long recording (or a video's audio track) into sentence-length utterances at its silences and write
them into the corpus layout `<out>/<speaker>/<stem>_<n>.wav`: the seed study's data-collection step, where
speech was gathered from interviews and broadcasts.

    python -m fakevideo.data.split INPUT --speaker NAME --out DIR [--min-seconds 1 --max-seconds 10]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from fakevideo.audio.io import load_audio, write_audio
from fakevideo.errors import InputError, exit_on_user_error


def frame_energy_db(audio: np.ndarray, frame: int, hop: int) -> np.ndarray:
    """RMS level of each analysis frame in dB relative to the loudest frame."""
    padded = np.pad(audio, (0, max(0, frame - len(audio))))
    windows = np.lib.stride_tricks.sliding_window_view(padded, frame)[::hop]
    rms = np.sqrt((windows.astype(np.float64) ** 2).mean(axis=1)) + 1e-10
    return 20 * np.log10(rms / rms.max())


def speech_regions(audio: np.ndarray, sample_rate: int, top_db: float = 35.0, min_silence: float = 0.3,
                   hop_seconds: float = 0.01) -> list[tuple[int, int]]:
    """Sample ranges of speech: frames within `top_db` of the loudest, joined across pauses < `min_silence`."""
    hop = int(sample_rate * hop_seconds)
    loud = frame_energy_db(audio, 2 * hop, hop) > -top_db
    edges = np.flatnonzero(np.diff(np.concatenate([[0], loud.astype(np.int8), [0]])))
    regions = [[start, stop] for start, stop in zip(edges[::2], edges[1::2], strict=True)]
    merged: list[list[int]] = []
    for start, stop in regions:
        if merged and (start - merged[-1][1]) * hop_seconds < min_silence:
            merged[-1][1] = stop
        else:
            merged.append([start, stop])
    return [(start * hop, min(stop * hop + hop, len(audio))) for start, stop in merged]


def split_long(region: tuple[int, int], audio: np.ndarray, max_samples: int, hop: int) -> list[tuple[int, int]]:
    """Cut a region longer than `max_samples` at its quietest frame, recursively."""
    start, stop = region
    if stop - start <= max_samples:
        return [region]
    segment = audio[start:stop]
    level = frame_energy_db(segment, 2 * hop, hop)
    margin = len(level) // 4
    cut = start + (margin + int(np.argmin(level[margin:len(level) - margin]))) * hop
    return split_long((start, cut), audio, max_samples, hop) + split_long((cut, stop), audio, max_samples, hop)


def split_recording(audio: np.ndarray, sample_rate: int, min_seconds: float = 1.0, max_seconds: float = 10.0,
                    top_db: float = 35.0, min_silence: float = 0.3, pad_seconds: float = 0.1) -> list[np.ndarray]:
    """Utterances of `min_seconds`..`max_seconds` (longer speech is cut at its quietest point; shorter dropped)."""
    hop = int(sample_rate * 0.01)
    pad = int(sample_rate * pad_seconds)
    pieces = []
    for region in speech_regions(audio, sample_rate, top_db, min_silence):
        for start, stop in split_long(region, audio, int(max_seconds * sample_rate), hop):
            if (stop - start) / sample_rate >= min_seconds:
                pieces.append(audio[max(0, start - pad): stop + pad])
    return pieces


def split_to_corpus(input_path: Path, speaker: str, out_dir: Path, sample_rate: int = 16000,
                    **options) -> list[Path]:
    audio, _ = load_audio(input_path, sample_rate)
    if np.abs(audio).max() < 1e-3:
        raise InputError(f"{input_path}: silent recording, nothing to split")
    pieces = split_recording(audio, sample_rate, **options)
    if not pieces:
        raise InputError(f"{input_path}: no speech segment of at least {options.get('min_seconds', 1.0)} s found")
    return [write_audio(out_dir / speaker / f"{input_path.stem}_{index:04d}.wav", piece, sample_rate)
            for index, piece in enumerate(pieces, start=1)]


@exit_on_user_error
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Split a long recording or video into utterances at silences.")
    parser.add_argument("input", type=Path, help="audio file or video (its audio track is used)")
    parser.add_argument("--speaker", required=True, help="speaker folder name in the corpus")
    parser.add_argument("--out", type=Path, required=True, help="corpus root (<out>/<speaker>/...)")
    parser.add_argument("--sample-rate", type=int, default=16000)
    parser.add_argument("--min-seconds", type=float, default=1.0)
    parser.add_argument("--max-seconds", type=float, default=10.0)
    parser.add_argument("--top-db", type=float, default=35.0, help="speech is within this many dB of the peak")
    parser.add_argument("--min-silence", type=float, default=0.3, help="pauses shorter than this do not split")
    args = parser.parse_args(argv)
    written = split_to_corpus(args.input, args.speaker, args.out, args.sample_rate, min_seconds=args.min_seconds,
                              max_seconds=args.max_seconds, top_db=args.top_db, min_silence=args.min_silence)
    print(f"wrote {len(written)} utterances to {args.out / args.speaker}")


if __name__ == "__main__":
    main()

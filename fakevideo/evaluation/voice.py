"""Test-split evaluation of a voice-conversion model: every ordered speaker pair, every held-out utterance.

Per utterance: MCD (DTW on c1..cD, silence dropped) and F0 RMSE / correlation / V-UV error along the same DTW
path, when the corpus is parallel (the target speaker read the same sentence); bursts per minute and the peak over
the median speech frame of the synthesised audio (`metrics.bursts`); speaker similarity of the converted audio to
the target and to the source speaker (GE2E embeddings, Resemblyzer). Per pair: mean and 95 %
CI of MCD, MSD of the converted vs real target MCEP trajectories, and precision / recall / density / coverage
(k-NN, Naeem et al. 2020) in the embedding space of per-frame MCEPs c1..cD of speech frames (up to
`prdc_frames` frames sampled per side, seeded). Writes metrics.json, per_utterance.csv and pairs.md.
"""

from __future__ import annotations

import csv
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from fakevideo.audio.io import load_audio
from fakevideo.audio.world import synthesize
from fakevideo.data.vc import VCDataModule
from fakevideo.evaluation.speaker import speaker_embedding
from fakevideo.metrics.bursts import BURST_MARGIN_DB, burst_metrics
from fakevideo.metrics.f0 import f0_metrics
from fakevideo.metrics.levels import LOUD_SPEECH_MIN_FRAMES, SPEECH_FLOOR_DB
from fakevideo.metrics.mcd import MCD_BANDS, align_speech, band_mcds, mean_ci95, mel_cepstral_distortion, speech_frames
from fakevideo.metrics.msd import modulation_spectrum_distance
from fakevideo.metrics.prdc import prdc
from fakevideo.metrics.speaker import cosine_similarity

SPEECH_NOTE = (f"c0 within {SPEECH_FLOOR_DB:g} dB of the level its loudest 1 % of frames (at least "
               f"{LOUD_SPEECH_MIN_FRAMES}) reach")
EMBEDDING_NOTE = f"PRDC embedding: per-frame MCEPs c1..cD of speech frames ({SPEECH_NOTE})"
BURST_NOTE = (f"bursts: runs of 5 ms frames more than {BURST_MARGIN_DB:g} dB above the utterance's median speech "
              "frame, per minute; peak_over_speech_db: the loudest frame over that median (natural speech: ~10)")


def _speech_mcep_frames(mceps: list[np.ndarray]) -> np.ndarray:
    return np.concatenate([m[speech_frames(m), 1:] for m in mceps])


def _sample(frames: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    return frames if len(frames) <= count else frames[rng.choice(len(frames), count, replace=False)]


def speaker_centroids(datamodule: VCDataModule) -> dict[str, np.ndarray]:
    """Mean GE2E embedding of each speaker's real test utterances."""
    centroids = {}
    for speaker in datamodule.speakers:
        embeddings = [speaker_embedding(*load_audio(u.path)) for u in datamodule.test_utts if u.speaker == speaker]
        centroid = np.mean(embeddings, axis=0)
        centroids[speaker] = centroid / np.linalg.norm(centroid)
    return centroids


def evaluate_conversions(task, datamodule: VCDataModule, out_dir: str | Path, speaker_similarity: bool = True,
                         prdc_k: int = 5, prdc_frames: int = 1000, seed: int = 0) -> dict:
    """Evaluate `task` (a VoiceConversionTask) on the datamodule's test split; returns the summary dict."""
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    cfg = task.feature_config
    test = {(u.speaker, u.utt_id): u for u in datamodule.test_utts}
    centroids = speaker_centroids(datamodule) if speaker_similarity else {}
    rows, converted_by_pair = [], defaultdict(list)
    for source in task.speakers:
        for target in task.speakers:
            if source == target:
                continue
            for utt in [u for u in datamodule.test_utts if u.speaker == source]:
                mcep, f0 = task.convert_features(utt.features.mcep, utt.features.f0, source, target)
                converted_by_pair[(source, target)].append(mcep)
                row = {"source": source, "target": target, "utterance": utt.utt_id}
                reference = test.get((target, utt.utt_id))
                if reference is not None:
                    index_c, index_t = alignment = align_speech(mcep, reference.features.mcep)
                    row["mcd"] = mel_cepstral_distortion(mcep, reference.features.mcep, alignment=alignment)
                    row |= band_mcds(mcep, reference.features.mcep, alignment)
                    row |= f0_metrics(f0[index_c], reference.features.f0[index_t])
                audio = synthesize(f0, mcep, utt.features.ap, cfg)
                row |= burst_metrics(audio, cfg.sample_rate)
                if centroids:
                    embedding = speaker_embedding(audio, cfg.sample_rate)
                    row["speaker_similarity_target"] = cosine_similarity(embedding, centroids[target])
                    row["speaker_similarity_source"] = cosine_similarity(embedding, centroids[source])
                rows.append(row)
    pairs = {}
    for (source, target), mceps in converted_by_pair.items():
        real = [u.features.mcep for u in datamodule.test_utts if u.speaker == target]
        pair_rows = [r for r in rows if r["source"] == source and r["target"] == target]
        summary = {"utterances": len(pair_rows), "msd": modulation_spectrum_distance(mceps, real)}
        for key in ("mcd", *MCD_BANDS, "f0_rmse", "f0_corr", "vuv_error", "bursts_per_minute", "peak_over_speech_db",
                    "speaker_similarity_target", "speaker_similarity_source"):
            values = [r[key] for r in pair_rows if key in r]
            if values:
                summary[key], summary[f"{key}_ci95"] = mean_ci95(values)
        real_frames = _sample(_speech_mcep_frames(real), prdc_frames, rng)
        fake_frames = _sample(_speech_mcep_frames(mceps), prdc_frames, rng)
        summary |= prdc(real_frames, fake_frames, prdc_k)
        pairs[f"{source}->{target}"] = summary
    overall = {key: float(np.mean([p[key] for p in pairs.values() if key in p]))
               for key in sorted({k for p in pairs.values() for k in p}) if key != "utterances"}
    result = {"overall": overall, "pairs": pairs, "parallel": datamodule.parallel, "embedding": EMBEDDING_NOTE,
              "burst_note": BURST_NOTE,
              "mcd_note": "MCD needs parallel test utterances" if not datamodule.parallel else
              f"MCD: DTW on c1..cD over speech frames ({SPEECH_NOTE}), c0 excluded"}
    _write(out_dir, result, rows)
    return result


def _write(out_dir: Path, result: dict, rows: list[dict]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "metrics.json").write_text(json.dumps(result, indent=1))
    fields = sorted({k for r in rows for k in r}, key=lambda k: (k not in ("source", "target", "utterance"), k))
    with open(out_dir / "per_utterance.csv", "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    (out_dir / "pairs.md").write_text(pairs_table(result))


def pairs_table(result: dict) -> str:
    """Markdown table, one row per conversion pair (mean ± 95 % CI where available)."""
    columns = ["mcd", *MCD_BANDS, "bursts_per_minute", "peak_over_speech_db", "f0_rmse", "f0_corr", "vuv_error", "msd",
               "precision", "recall", "density", "coverage", "speaker_similarity_target", "speaker_similarity_source"]
    present = [c for c in columns if any(c in p for p in result["pairs"].values())]
    lines = ["| pair | " + " | ".join(present) + " |", "|---|" + "---|" * len(present)]
    for pair, values in result["pairs"].items():
        cells = [f"{values[c]:.3f}" + (f" ± {values[c + '_ci95']:.3f}" if f"{c}_ci95" in values else "")
                 if c in values else "" for c in present]
        lines.append(f"| {pair} | " + " | ".join(cells) + " |")
    notes = [result["mcd_note"], result["burst_note"], result["embedding"]]
    return "\n".join(lines) + "\n\n" + "\n".join(f"- {n}" for n in notes) + "\n"

"""Voice conversion of files with a trained checkpoint: WORLD analysis of the source, the generator on its
normalised MCEPs, log-F0 Gaussian conversion, the source's aperiodicity, optionally the whole feature sequence
time-scaled toward the target speaker's rhythm (`duration=global|voiced`, `audio.durations`), WORLD synthesis.

A folder is converted by a pool of threads (all cores by default) sharing the one model, each file on one core:
WORLD analysis and synthesis (pyworld), resampling (soxr), file I/O (libsndfile) and the generator (torch) all
release the GIL, so threads scale like processes (1.9x on 2 cores) but start instantly and hold one copy of the
model; a process pool paid ~5 s of imports (torch, Lightning) before its first file.
"""

from __future__ import annotations

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from fakevideo.audio.durations import DURATION_MODES, segment_ratios, segments, time_scale
from fakevideo.audio.io import list_audio_files, load_audio
from fakevideo.audio.world import WorldConfig, WorldFeatures, analyze, synthesize
from fakevideo.data.features import check_usable
from fakevideo.errors import CheckpointError, ConfigError, InputError
from fakevideo.metrics.bursts import BURST_MARGIN_DB, find_bursts
from fakevideo.parallel import torch_threads, worker_count
from fakevideo.provenance import ProvenanceLabel, checkpoint_sha256, write_wav
from fakevideo.tasks.vc import VoiceConversionTask
from fakevideo.training.checkpoints import load_task

log = logging.getLogger(__name__)

PEAK_LIMIT = 0.99


class VoiceConverter:
    """A trained VC model with everything conversion needs (speakers, statistics, feature settings)."""

    def __init__(self, task: VoiceConversionTask, f0_method: str | None = None, checkpoint_sha256: str | None = None,
                 duration: str = "keep"):
        self.task = task
        cfg = task.feature_config
        stats_dim = len(task.data_info["stats"][task.speakers[0]]["mcep_mean"])
        if stats_dim != cfg.mcep_dim:
            raise CheckpointError(f"checkpoint feature config mismatch: mcep_dim={cfg.mcep_dim} but its speaker "
                                  f"statistics have {stats_dim} dimensions")
        if duration not in DURATION_MODES:
            raise ConfigError(f"duration={duration!r}: choose from {', '.join(DURATION_MODES)}")
        if duration != "keep" and any(task.speaker_stats(s).duration is None for s in task.speakers):
            raise CheckpointError(f"duration={duration}: this checkpoint holds no speaking-rhythm statistics (trained "
                                  "before they were gathered, or on too little speech); use duration=keep or retrain")
        self.features: WorldConfig = replace(cfg, f0_method=f0_method) if f0_method else cfg
        self.checkpoint_sha256 = checkpoint_sha256
        self.duration = duration

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "cpu", f0_method: str | None = None,
                        duration: str = "keep") -> VoiceConverter:
        return cls(load_task(path, VoiceConversionTask).to(device), f0_method, checkpoint_sha256(path), duration)

    @property
    def speakers(self) -> list[str]:
        return self.task.speakers

    @property
    def sample_rate(self) -> int:
        return self.features.sample_rate

    def label(self, source: str, target: str, **extra) -> ProvenanceLabel:
        """The provenance label every converted file carries."""
        timing = {} if self.duration == "keep" else {"duration": self.duration}
        return ProvenanceLabel(self.task.model_name, self.checkpoint_sha256,
                               extra={"source_speaker": source, "target_speaker": target, **timing, **extra})

    def check_speakers(self, source: str, target: str) -> None:
        for key, name in (("src_spk", source), ("trg_spk", target)):
            if name not in self.speakers:
                raise ConfigError(f"{key}={name!r}: not a speaker of this checkpoint; choose from {self.speakers}")
        self.task.check_direction(source, target)

    @torch.no_grad()
    def convert(self, audio: np.ndarray, source: str, target: str) -> np.ndarray:
        """Audio at `sample_rate` in `source`'s voice -> the same speech in `target`'s voice: in the source's timing
        (`duration=keep`, sample for sample as long), or time-scaled toward the target's rhythm before synthesis."""
        self.check_speakers(source, target)
        feats = analyze(audio, self.features, code_aperiodicity=False)
        out = self.convert_world(feats, source, target)
        length = round(len(audio) * out.num_frames / feats.num_frames)
        converted = synthesize(out.f0, out.mcep, out.ap, self.features)[:length]
        peak = float(np.abs(converted).max())
        if peak > PEAK_LIMIT:  # a loud converted envelope must not clip when written as PCM
            converted *= PEAK_LIMIT / peak
        return np.pad(converted, (0, length - len(converted)))

    def convert_world(self, feats: WorldFeatures, source: str, target: str) -> WorldFeatures:
        """The source's WORLD features (full aperiodicity) -> what synthesis takes: the model's MCEPs and F0 with
        the source's aperiodicity, time-scaled toward the target's rhythm unless `duration` is keep."""
        mcep, f0 = self.task.convert_features(feats.mcep, feats.f0, source, target)
        if self.duration == "keep":
            return WorldFeatures(f0, mcep, feats.ap)
        runs = segments(feats.f0, feats.mcep, self.features.frame_period)  # the source's timing
        ratios = segment_ratios(runs, self.duration, self.features.frame_period,
                                self.task.speaker_stats(source).duration, self.task.speaker_stats(target).duration)
        return WorldFeatures(*time_scale(f0, mcep, feats.ap, runs, ratios))

    def convert_file(self, path: Path, source: str, target: str) -> np.ndarray:
        audio, _ = load_audio(path, self.sample_rate)
        check_usable(audio, self.sample_rate, path, min_seconds=0.1)
        return self.convert(audio, source, target)


def convert_paths(converter: VoiceConverter, input_path: str | Path, output_dir: str | Path, source: str,
                  target: str, watermark: bool = True, num_workers: int | None = 1) -> list[Path]:
    """Convert one file or every audio file in a folder; writes `<stem>_<source>_to_<target>.wav` per input,
    labelled as synthetic (and watermarked unless `watermark` is off, e.g. for evaluation runs).

    A folder runs on `num_workers` threads (None: all cores), each file's torch work on one core; the files
    written are the same either way (up to the order of float sums in the generator: one 16-bit step). A folder's
    unreadable or unusable files do not stop the others: every other file is written, then PartialConversion
    lists the failures.
    """
    input_path, output_dir = Path(input_path), Path(output_dir)
    converter.check_speakers(source, target)
    if source == target:  # one-to-one models refuse this in check_speakers; many-to-many ones accept it
        log.warning("src_spk=trg_spk=%r: converting a speaker to itself only reconstructs the input voice", source)
    if input_path.is_dir():
        files = list_audio_files(input_path)
        if not files:
            raise InputError(f"{input_path}: no audio files to convert")
    elif input_path.is_file():
        files = [input_path]
    else:
        raise InputError(f"input={input_path}: no such file or folder")
    try:
        output_dir.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise InputError(f"output={output_dir}: cannot create the output folder ({err.strerror})") from None
    jobs = [(path, output_dir / f"{path.stem}_{source}_to_{target}.wav", source, target, watermark) for path in files]
    progress = dict(total=len(jobs), desc=f"converting {source} -> {target}", unit="file")
    workers = worker_count(num_workers, len(jobs))
    if workers == 1:
        outcomes = list(tqdm((try_convert_one(converter, *job) for job in jobs), **progress))
    else:
        with torch_threads(1), ThreadPoolExecutor(workers, thread_name_prefix="convert") as pool:
            outcomes = list(tqdm(pool.map(lambda job: try_convert_one(converter, *job), jobs), **progress))
    written = [outcome for outcome in outcomes if isinstance(outcome, Path)]
    failed = [outcome for outcome in outcomes if isinstance(outcome, str)]
    if failed:
        raise PartialConversion(written, failed, output_dir) if input_path.is_dir() else InputError(failed[0])
    return written


class PartialConversion(InputError):
    """Some files of a folder could not be converted; every other one was written. The message lists the failures,
    one per line; `written` and `failed` hold the outputs and the reasons."""

    def __init__(self, written: list[Path], failed: list[str], output_dir: Path):
        self.written, self.failed = written, failed
        lines = "".join(f"\n  {reason}" for reason in failed)
        super().__init__(f"{len(failed)} of {len(written) + len(failed)} files could not be converted "
                         f"({len(written)} written to {output_dir}):{lines}")


def try_convert_one(converter: VoiceConverter, path: Path, out: Path, source: str, target: str,
                    watermark: bool) -> Path | str:
    """`convert_one`, or the one-line reason the input cannot be converted (unreadable, empty, too short), so that
    one bad file in a folder does not stop the others."""
    try:
        return convert_one(converter, path, out, source, target, watermark)
    except InputError as err:
        return str(err)


def convert_one(converter: VoiceConverter, path: Path, out: Path, source: str, target: str,
                watermark: bool) -> Path:
    """Convert one file and write it, labelled (and watermarked unless asked not to)."""
    audio = converter.convert_file(path, source, target)
    write_wav(out, audio, converter.sample_rate, converter.label(source, target, input=path.name),
              watermark=watermark)
    warn_bursts(out, audio, converter.sample_rate)
    return out


def warn_bursts(path: Path, audio: np.ndarray, sample_rate: int, shown: int = 5) -> None:
    """Log a warning naming the file and the times of its bursts (`metrics.bursts`), if it holds any."""
    bursts = find_bursts(audio, sample_rate)
    if bursts:
        times = ", ".join(f"{b.start_s:.2f} s (+{b.over_speech_db:.0f} dB)" for b in bursts[:shown])
        log.warning("%s: %d burst(s) more than %g dB above its median speech frame, at %s%s", path, len(bursts),
                    BURST_MARGIN_DB, times, ", ..." if len(bursts) > shown else "")

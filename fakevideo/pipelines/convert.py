"""Voice conversion of files with a trained checkpoint: WORLD analysis of the source, the generator on its
normalised MCEPs, log-F0 Gaussian conversion, the source's aperiodicity, WORLD synthesis."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import torch
from tqdm.auto import tqdm

from fakevideo.audio.io import list_audio_files, load_audio, write_audio
from fakevideo.audio.world import WorldConfig, analyze, synthesize
from fakevideo.data.features import check_usable
from fakevideo.errors import CheckpointError, ConfigError, InputError
from fakevideo.tasks.vc import VoiceConversionTask
from fakevideo.training.checkpoints import load_task


class VoiceConverter:
    """A trained VC model with everything conversion needs (speakers, statistics, feature settings)."""

    def __init__(self, task: VoiceConversionTask, f0_method: str | None = None):
        if not isinstance(task, VoiceConversionTask):
            raise ConfigError(f"ckpt: a {task.family} checkpoint is not a voice-conversion model")
        self.task = task
        cfg = task.feature_config
        stats_dim = len(task.data_info["stats"][task.speakers[0]]["mcep_mean"])
        if stats_dim != cfg.mcep_dim:
            raise CheckpointError(f"checkpoint feature config mismatch: mcep_dim={cfg.mcep_dim} but its speaker "
                                  f"statistics have {stats_dim} dimensions")
        self.features: WorldConfig = replace(cfg, f0_method=f0_method) if f0_method else cfg

    @classmethod
    def from_checkpoint(cls, path: str | Path, device: str = "cpu", f0_method: str | None = None) -> VoiceConverter:
        return cls(load_task(path).to(device), f0_method)

    @property
    def speakers(self) -> list[str]:
        return self.task.speakers

    @property
    def sample_rate(self) -> int:
        return self.features.sample_rate

    def check_speakers(self, source: str, target: str) -> None:
        for key, name in (("src_spk", source), ("trg_spk", target)):
            if name not in self.speakers:
                raise ConfigError(f"{key}={name!r}: not a speaker of this checkpoint; choose from {self.speakers}")
        self.task.check_direction(source, target)

    @torch.no_grad()
    def convert(self, audio: np.ndarray, source: str, target: str) -> np.ndarray:
        """Audio at `sample_rate` in `source`'s voice -> the same speech in `target`'s voice (same timing)."""
        self.check_speakers(source, target)
        feats = analyze(audio, self.features, code_aperiodicity=False)
        mcep, f0 = self.task.convert_features(feats.mcep, feats.f0, source, target)
        converted = synthesize(f0, mcep, feats.ap, self.features)[: len(audio)]
        return np.pad(converted, (0, len(audio) - len(converted)))

    def convert_file(self, path: Path, source: str, target: str) -> np.ndarray:
        audio, _ = load_audio(path, self.sample_rate)
        check_usable(audio, self.sample_rate, path, min_seconds=0.1)
        return self.convert(audio, source, target)


def convert_paths(converter: VoiceConverter, input_path: str | Path, output_dir: str | Path, source: str,
                  target: str) -> list[Path]:
    """Convert one file or every audio file in a folder; writes `<stem>_<source>_to_<target>.wav` per input."""
    input_path, output_dir = Path(input_path), Path(output_dir)
    converter.check_speakers(source, target)
    if input_path.is_dir():
        files = list_audio_files(input_path)
        if not files:
            raise InputError(f"{input_path}: no audio files to convert")
    elif input_path.is_file():
        files = [input_path]
    else:
        raise InputError(f"input={input_path}: no such file or folder")
    written = []
    for path in tqdm(files, desc=f"converting {source} -> {target}", unit="file"):
        audio = converter.convert_file(path, source, target)
        written.append(write_audio(output_dir / f"{path.stem}_{source}_to_{target}.wav", audio,
                                   converter.sample_rate))
    return written

"""The voice-conversion corpus and its LightningDataModule.

A corpus is `<root>/<speaker>/<utt>.wav` (the demo corpus, VCC2018, VCTK or a user's folder). The datamodule
extracts cached WORLD features, splits each speaker's utterances into train/test with a seed (the same
utterance ids across speakers when the corpus is parallel, so test pairs exist for MCD), computes per-speaker
statistics (normalisation and rhythm) from the training split only, and serves random fixed-length MCEP crops for
training.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset, Sampler

from fakevideo.audio.durations import DurationStats
from fakevideo.audio.f0 import LogF0Stats
from fakevideo.audio.io import list_audio_files
from fakevideo.audio.world import WorldConfig, WorldFeatures
from fakevideo.contracts import batches_consumed
from fakevideo.data import check_loader_knobs
from fakevideo.data.demo import build_demo_corpus
from fakevideo.data.features import extract_corpus, load_cached
from fakevideo.data.plots import plot_length_histograms
from fakevideo.errors import ConfigError, InputError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SpeakerStats:
    """Per-speaker normalisation: log-F0 Gaussian and per-dimension MCEP mean/std, and the speaker's rhythm
    (`audio.durations`), from training data only. Checkpoints older than the rhythm statistics load with
    `duration` None."""

    logf0: LogF0Stats
    mcep_mean: np.ndarray
    mcep_std: np.ndarray
    duration: DurationStats | None = None

    @classmethod
    def from_features(cls, feats: list[WorldFeatures], frame_period_ms: float) -> SpeakerStats:
        mceps = np.concatenate([f.mcep for f in feats])
        return cls(LogF0Stats.from_contours([f.f0 for f in feats]), mceps.mean(0), mceps.std(0) + 1e-8,
                   DurationStats.from_features([(f.f0, f.mcep) for f in feats], frame_period_ms))

    def normalize(self, mcep: np.ndarray) -> np.ndarray:
        return (mcep - self.mcep_mean) / self.mcep_std

    def denormalize(self, mcep: np.ndarray) -> np.ndarray:
        return mcep * self.mcep_std + self.mcep_mean

    def to_dict(self) -> dict:
        return {"logf0_mean": self.logf0.mean, "logf0_std": self.logf0.std,
                "mcep_mean": self.mcep_mean.tolist(), "mcep_std": self.mcep_std.tolist(),
                **({"duration": self.duration.to_dict()} if self.duration else {})}

    @classmethod
    def from_dict(cls, d: dict) -> SpeakerStats:
        return cls(LogF0Stats(d["logf0_mean"], d["logf0_std"]),
                   np.asarray(d["mcep_mean"], dtype=np.float32), np.asarray(d["mcep_std"], dtype=np.float32),
                   DurationStats.from_dict(d["duration"]) if "duration" in d else None)


@dataclass
class Utterance:
    speaker: str
    utt_id: str
    path: Path
    features: WorldFeatures


def discover_speakers(root: Path, speakers: list[str] | None, num_speakers: int | None) -> list[str]:
    """Speaker folders under root that hold audio; `speakers` picks some by name, `num_speakers` the first N."""
    if not root.is_dir():
        raise ConfigError(f"data.root={root}: no such folder")
    found = sorted(p.name for p in root.iterdir() if p.is_dir() and list_audio_files(p))
    if not found:
        raise InputError(f"{root}: no speaker folders with audio files (expected <root>/<speaker>/<utt>.wav)")
    if speakers:
        unknown = [s for s in speakers if s not in found]
        if unknown:
            raise ConfigError(f"data.speakers: {unknown} not found under {root}; available: {found}")
        found = list(speakers)
    if num_speakers is not None:
        if num_speakers < 2 or num_speakers > len(found):
            raise ConfigError(f"data.num_speakers={num_speakers}: need 2..{len(found)} (speakers: {found})")
        found = found[:num_speakers]
    return found


def split_utterances(ids_by_speaker: dict[str, list[str]], num_test: int,
                     seed: int) -> tuple[dict[str, list[str]], bool]:
    """Seeded test ids per speaker. A parallel corpus shares them across speakers (test pairs for MCD)."""
    rng = np.random.default_rng(seed)
    common = sorted(set.intersection(*(set(ids) for ids in ids_by_speaker.values())))
    if len(common) > num_test:
        shared = sorted(rng.choice(common, size=num_test, replace=False).tolist())
        return dict.fromkeys(ids_by_speaker, shared), True
    return {speaker: sorted(rng.choice(sorted(ids), size=min(num_test, len(ids) - 1), replace=False).tolist())
            for speaker, ids in ids_by_speaker.items()}, False


class RandomCropDataset(Dataset):
    """Random fixed-length crops of normalised MCEPs, [D, frames], with the speaker index.

    Sample `index` is a pure function of (seed, index): which utterance and where the crop starts. Training order
    is then reproducible and a resumed run continues the exact sample stream (see ContinuingSampler).
    Utterances shorter than the crop are wrapped around, so every item has the same shape.
    """

    def __init__(self, mceps: list[np.ndarray], speakers: list[int], crop_frames: int, seed: int):
        self.mceps = [torch.from_numpy(np.ascontiguousarray(m.T, dtype=np.float32)) for m in mceps]
        self.speakers = speakers
        self.crop_frames = crop_frames
        self.seed = seed

    def __len__(self) -> int:
        return len(self.mceps)

    def __getitem__(self, index: int) -> dict:
        rng = np.random.default_rng([self.seed, index])
        utt = int(rng.integers(len(self.mceps)))
        mcep = self.mceps[utt]
        frames = mcep.shape[1]
        if frames < self.crop_frames:
            mcep = mcep.repeat(1, -(-self.crop_frames // frames))
            frames = mcep.shape[1]
        start = int(rng.integers(frames - self.crop_frames + 1))
        return {"mcep": mcep[:, start:start + self.crop_frames], "speaker": self.speakers[utt]}


class ContinuingSampler(Sampler[int]):
    """Yields consecutive sample indices start, start+1, ...; each epoch continues where the last one ended, and
    a resumed run starts at the number of samples the checkpointed run had consumed."""

    def __init__(self, start: int, samples_per_epoch: int):
        self.next_index, self.samples_per_epoch = start, samples_per_epoch

    def __len__(self) -> int:
        return self.samples_per_epoch

    def __iter__(self):
        first = self.next_index
        self.next_index += self.samples_per_epoch
        return iter(range(first, first + self.samples_per_epoch))


class PairedCropDataset(Dataset):
    """A crop of speaker A with an independently drawn crop of speaker B (non-parallel, for one-to-one models);
    the two streams use different seeds, so sample `index` is still a pure function of the seed and the index."""

    def __init__(self, crops_a: RandomCropDataset, crops_b: RandomCropDataset):
        self.crops_a, self.crops_b = crops_a, crops_b

    def __len__(self) -> int:
        return len(self.crops_a)

    def __getitem__(self, index: int) -> dict:
        return {"mcep_a": self.crops_a[index]["mcep"], "mcep_b": self.crops_b[index]["mcep"]}


class UtteranceDataset(Dataset):
    """Whole test utterances for validation: normalised MCEPs plus what synthesis needs."""

    def __init__(self, items: list[dict]):
        self.items = items

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> dict:
        return self.items[index]


class VCDataModule(pl.LightningDataModule):
    """WORLD-feature corpus for any number of speakers (nothing is hard-coded to 2 or 4).

    `pairing=true` (one-to-one models) needs exactly two speakers A, B and serves {"mcep_a", "mcep_b"} batches.
    """

    def __init__(self, root: str | None, features: dict, cache_dir: str = ".cache/fakevideo/features",
                 demo_dir: str = "data/demo/vc", speakers: list[str] | None = None,
                 num_speakers: int | None = None, sample_rate: int | None = None, num_test: int = 4,
                 min_utterances: int = 5, min_seconds: float = 0.5, seed: int = 0, batch_size: int = 8,
                 crop_frames: int = 128, samples_per_epoch: int = 10000, val_per_speaker: int = 1,
                 num_workers: int = 0, preprocess_workers: int | None = None, pairing: bool = False):
        super().__init__()
        check_loader_knobs(batch_size, samples_per_epoch, crop_frames=crop_frames, num_test=num_test,
                           min_utterances=min_utterances, val_per_speaker=val_per_speaker)
        self.root = Path(root) if root else None
        self.demo_dir = Path(demo_dir)
        self.feature_cfg = WorldConfig(**features)
        if sample_rate is not None and sample_rate != self.feature_cfg.sample_rate:
            raise ConfigError(f"data.sample_rate={sample_rate} disagrees with data.features.sample_rate")
        self.cache_dir = Path(cache_dir)
        self.requested_speakers = list(speakers) if speakers else None
        self.num_speakers = num_speakers
        self.num_test, self.min_utterances, self.min_seconds = num_test, min_utterances, min_seconds
        self.seed, self.batch_size, self.crop_frames = seed, batch_size, crop_frames
        self.samples_per_epoch, self.val_per_speaker = samples_per_epoch, val_per_speaker
        self.num_workers, self.preprocess_workers = num_workers, preprocess_workers
        self.pairing = pairing
        self.speakers: list[str] = []
        self.stats: dict[str, SpeakerStats] = {}
        self.train_utts: list[Utterance] = []
        self.test_utts: list[Utterance] = []
        self.val_utts: list[Utterance] = []
        self.parallel = False
        self._usable: dict[Path, Path] | None = None

    @property
    def corpus_root(self) -> Path:
        return self.root if self.root is not None else self.demo_dir

    def prepare_data(self) -> None:
        """Build the demo corpus when no root is given, then fill the feature cache (idempotent)."""
        if self.root is None:
            build_demo_corpus(self.demo_dir)
        self._extract(discover_speakers(self.corpus_root, self.requested_speakers, self.num_speakers))

    def _extract(self, speakers: list[str]) -> dict[Path, Path]:
        """{audio file: cache file} of the speakers' usable files, the cache filled once per datamodule: Lightning
        calls prepare_data again inside fit, and setup needs the same answer, so each skip is reported once."""
        if self._usable is None:
            files = [f for s in speakers for f in list_audio_files(self.corpus_root / s)]
            self._usable = extract_corpus(files, self.feature_cfg, self.cache_dir, self.preprocess_workers,
                                          self.min_seconds)
        return self._usable

    def setup(self, stage: str | None = None) -> None:
        if self.speakers:
            return
        speakers = discover_speakers(self.corpus_root, self.requested_speakers, self.num_speakers)
        if self.pairing and len(speakers) != 2:
            raise ConfigError(f"data.pairing=true needs exactly 2 speakers, got {speakers} "
                              "(set data.num_speakers=2 or data.speakers=[a,b])")
        cached = self._extract(speakers)
        by_speaker: dict[str, dict[str, tuple[Path, Path]]] = {s: {} for s in speakers}
        for path, cache in cached.items():
            by_speaker[path.parent.name][path.stem] = (path, cache)
        for speaker, utts in by_speaker.items():
            if len(utts) < self.min_utterances:
                raise InputError(f"{self.corpus_root / speaker}: only {len(utts)} usable audio files "
                                 f"(need data.min_utterances={self.min_utterances})")
        test_ids, self.parallel = split_utterances({s: list(u) for s, u in by_speaker.items()},
                                                   self.num_test, self.seed)
        if not self.parallel:
            log.warning("corpus %s is not parallel: test utterances differ across speakers", self.corpus_root)
        val_ids = self._validation_ids({s: [i for i in u if i not in test_ids[s]] for s, u in by_speaker.items()})
        self.speakers = speakers
        for speaker, utts in by_speaker.items():
            for utt_id, (path, cache) in sorted(utts.items()):
                utt = Utterance(speaker, utt_id, path, load_cached(path, cache, self.feature_cfg, self.min_seconds))
                split = (self.test_utts if utt_id in test_ids[speaker]
                         else self.val_utts if utt_id in val_ids[speaker] else self.train_utts)
                split.append(utt)
        self.stats = {s: SpeakerStats.from_features([u.features for u in self.train_utts if u.speaker == s],
                                                    self.feature_cfg.frame_period)
                      for s in speakers}

    def describe(self) -> dict:
        """Resolved facts for the config (num_speakers, speakers) and for checkpoints: conversion needs no corpus."""
        return {"speakers": self.speakers, "num_speakers": len(self.speakers), "pairing": self.pairing,
                "features": self.feature_cfg.as_dict(), "parallel": self.parallel,
                "stats": {s: st.to_dict() for s, st in self.stats.items()},
                "test_ids": sorted({u.utt_id for u in self.test_utts}),
                "val_ids": sorted({u.utt_id for u in self.val_utts})}

    def write_summary(self, folder: str | Path) -> None:
        """Per-speaker data-length histogram (PNG) of the utterances this run uses."""
        hop_seconds = self.feature_cfg.frame_period / 1000.0
        seconds = {s: [u.features.num_frames * hop_seconds for u in self.train_utts + self.val_utts + self.test_utts
                       if u.speaker == s] for s in self.speakers}
        plot_length_histograms(seconds, Path(folder) / "data_lengths.png")

    def _normalized(self, utt: Utterance) -> np.ndarray:
        return self.stats[utt.speaker].normalize(utt.features.mcep)

    def _crops(self, speakers: list[str], seed: int) -> RandomCropDataset:
        utts = [u for u in self.train_utts if u.speaker in speakers]
        return RandomCropDataset([self._normalized(u) for u in utts], [self.speakers.index(u.speaker) for u in utts],
                                 self.crop_frames, seed)

    def train_dataloader(self) -> DataLoader:
        if self.pairing:
            dataset = PairedCropDataset(self._crops(self.speakers[:1], self.seed),
                                        self._crops(self.speakers[1:], self.seed + 1))
        else:
            dataset = self._crops(self.speakers, self.seed)
        start = batches_consumed(self.trainer) * self.batch_size
        return DataLoader(dataset, batch_size=self.batch_size, drop_last=True,
                          sampler=ContinuingSampler(start, self.samples_per_epoch),
                          # its own generator: creating the iterator must not draw from the global RNG, or a
                          # resumed run (which creates one more iterator) would diverge from an uninterrupted one
                          generator=torch.Generator().manual_seed(self.seed),
                          num_workers=self.num_workers, persistent_workers=self.num_workers > 0,
                          pin_memory=torch.cuda.is_available())

    def _validation_ids(self, remaining: dict[str, list[str]]) -> dict[str, list[str]]:
        """`val_per_speaker` ids per speaker held out from training (shared across speakers when the corpus is
        parallel), so that choosing the best checkpoint never looks at the test split. A corpus too small to spare
        them validates on the first test utterances instead, and says so."""
        if all(len(ids) > self.val_per_speaker for ids in remaining.values()):
            val_ids, _ = split_utterances(remaining, self.val_per_speaker, self.seed + 1)
            if all(val_ids.values()):
                return val_ids
        log.warning("corpus %s: too few utterances to hold out data.val_per_speaker=%d for validation besides "
                    "training and the test split; validating on test utterances", self.corpus_root,
                    self.val_per_speaker)
        return {speaker: [] for speaker in remaining}

    def validation_items(self) -> list[dict]:
        """The validation utterances of each speaker (the first `val_per_speaker` test ones when none could be held
        out), whole, each paired with the next speaker as conversion target; `target_mcep` is that speaker's real
        MCEPs of the same sentence when parallel."""
        pool = self.val_utts or self.test_utts
        by_key = {(u.speaker, u.utt_id): u for u in pool}
        items = []
        for index, speaker in enumerate(self.speakers):
            target = (index + 1) % len(self.speakers)
            for utt in [u for u in pool if u.speaker == speaker][: self.val_per_speaker]:
                reference = by_key.get((self.speakers[target], utt.utt_id))
                items.append({"mcep": torch.from_numpy(self._normalized(utt).T.copy()).float(),
                              "f0": torch.from_numpy(utt.features.f0), "ap": torch.from_numpy(utt.features.ap),
                              "speaker": index, "target": target, "utt_id": utt.utt_id,
                              "target_mcep": torch.from_numpy(reference.features.mcep) if reference else None})
        return items

    def val_dataloader(self) -> DataLoader:
        return DataLoader(UtteranceDataset(self.validation_items()), batch_size=None, shuffle=False)

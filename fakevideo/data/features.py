"""The WORLD feature cache: one .npz per utterance, keyed by file content and every feature setting.

A sample-rate sweep therefore never reads stale features, a second run reuses the first one's work, and the
cache can be shared by parallel sweep jobs: files are written to a temporary name and renamed into place, so
a reader sees a whole file or none and a crash leaves no torn entry.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zipfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

from fakevideo.atomic import atomic_path, write_json
from fakevideo.audio.io import load_audio
from fakevideo.audio.world import WorldConfig, WorldFeatures, analyze
from fakevideo.errors import InputError
from fakevideo.parallel import worker_context, worker_count

log = logging.getLogger(__name__)

SILENCE_PEAK = 1e-3  # an utterance whose loudest sample is below -60 dBFS holds no speech
MIN_VOICED_FRAMES = 10
# Changes whenever the same audio and settings would give other features (2: libsoxr resampling).
FEATURE_RECIPE = 2


def config_tag(cfg: WorldConfig) -> str:
    """A readable, unique folder name for one feature configuration."""
    recipe = {**cfg.as_dict(), "recipe": FEATURE_RECIPE}
    digest = hashlib.sha1(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:8]
    return f"sr{cfg.sample_rate}_fp{cfg.frame_period:g}_mcep{cfg.mcep_dim}_{cfg.f0_method}_{digest}"


def file_digest(path: Path) -> str:
    h = hashlib.sha1()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:16]


def cache_path(cache_dir: Path, cfg: WorldConfig, audio_path: Path) -> Path:
    return Path(cache_dir) / config_tag(cfg) / f"{audio_path.stem}-{file_digest(audio_path)}.npz"


def save_features(path: Path, feats: WorldFeatures) -> None:
    with atomic_path(path) as tmp, open(tmp, "wb") as f:
        np.savez(f, f0=feats.f0, mcep=feats.mcep, ap=feats.ap)


def load_features(path: Path) -> WorldFeatures:
    with np.load(path) as data:
        return WorldFeatures(f0=data["f0"], mcep=data["mcep"], ap=data["ap"])


def load_cached(audio_path: Path, cache_file: Path, cfg: WorldConfig, min_seconds: float) -> WorldFeatures:
    """The cached features of `audio_path`. A damaged entry (truncated by a full disk, overwritten, edited) is
    recomputed from the audio with a warning naming it: a cache is never a reason for a run to die."""
    try:
        return load_features(cache_file)
    except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as err:
        log.warning("%s: damaged feature cache entry (%s: %s); recomputing it from %s", cache_file,
                    type(err).__name__, err, audio_path)
    reason = extract_one(audio_path, cache_file, cfg, min_seconds)
    if reason:  # the audio changed since it was cached (the cache key holds its digest): it is unusable now
        raise InputError(reason)
    return load_features(cache_file)


def check_usable(audio: np.ndarray, sample_rate: int, path: Path, min_seconds: float) -> None:
    """Raise InputError saying why an utterance is too poor to train on (too short or silent)."""
    seconds = len(audio) / sample_rate
    if seconds < min_seconds:
        raise InputError(f"{path}: too short ({seconds:.2f} s < {min_seconds} s)")
    if np.abs(audio).max() < SILENCE_PEAK:
        raise InputError(f"{path}: silent (peak below -60 dBFS)")


def extract_one(audio_path: Path, cache_file: Path, cfg: WorldConfig, min_seconds: float) -> str | None:
    """Analyse one file into the cache. Returns None on success, else the one-line reason it was skipped."""
    try:
        audio, _ = load_audio(audio_path, cfg.sample_rate)
        check_usable(audio, cfg.sample_rate, audio_path, min_seconds)
        feats = analyze(audio, cfg)
        if int((feats.f0 > 0).sum()) < MIN_VOICED_FRAMES:
            raise InputError(f"{audio_path}: no voiced speech found")
    except InputError as err:
        return str(err)
    save_features(cache_file, feats)
    return None


def extract_corpus(files: list[Path], cfg: WorldConfig, cache_dir: str | Path, num_workers: int | None = None,
                   min_seconds: float = 0.5) -> dict[Path, Path]:
    """Make sure every usable file has cached features; returns {audio file: cache file} for the usable ones.

    Unusable files are skipped with a one-line warning naming the file and the reason. Work runs in
    `num_workers` processes (default: all cores) with a progress bar; cached files cost one hash each.
    """
    cache_dir = Path(cache_dir)
    targets = {path: cache_path(cache_dir, cfg, path) for path in files}
    todo = [path for path, cached in targets.items() if not cached.is_file()]
    skip_list = cache_dir / config_tag(cfg) / "skipped.json"
    skipped: dict[str, str] = json.loads(skip_list.read_text()) if skip_list.is_file() else {}
    todo = [path for path in todo if skipped.get(str(path), {}).get("digest") != targets[path].stem]
    workers = worker_count(num_workers)
    reasons: dict[Path, str] = {}
    if todo:
        jobs = [(path, targets[path], cfg, min_seconds) for path in todo]
        if workers == 1:
            outcomes = list(tqdm(map(_extract_star, jobs), total=len(jobs),
                                 desc=f"WORLD features {config_tag(cfg)}", unit="utt"))
        else:
            with ProcessPoolExecutor(max_workers=workers, mp_context=worker_context(__name__)) as pool:
                outcomes = list(tqdm(pool.map(_extract_star, jobs), total=len(jobs),
                                     desc=f"WORLD features {config_tag(cfg)}", unit="utt"))
        reasons = {path: reason for path, reason in zip(todo, outcomes, strict=True) if reason}
        for path, reason in reasons.items():
            skipped[str(path)] = {"digest": targets[path].stem, "reason": reason}
        if reasons:
            write_json(skip_list, skipped)
    for path in files:
        reason = reasons.get(path) or skipped.get(str(path), {}).get("reason")
        if reason and not targets[path].is_file():
            log.warning("skipping %s", reason)
    return {path: cached for path, cached in targets.items() if cached.is_file()}


def _extract_star(job: tuple) -> str | None:
    return extract_one(*job)


"""Per-source fine-tuning of the reenactment generator, as FSGAN does before swapping a new identity.

The generator is trained for a few iterations on self-reenactment of the source alone: one view of the source,
driven by the landmarks of another view, must reproduce that other view. Views are the source's own frames
(a video) with keypoint-aware augmentation on both sides, so a single image still yields distinct pairs. Only
the reconstruction terms of the recipe are used (L1 and, if configured, VGG perceptual): the critic stays
untouched and the identity-preserving signal comes from the source's own pixels.

Results are cached per source under `<cache_dir>/finetune/`, keyed by the source's bytes, the reenactment
checkpoint's hash and every fine-tuning setting, so a second swap of the same source starts at once.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from tqdm.auto import tqdm

from fakevideo.atomic import atomic_path
from fakevideo.data.face_augment import FaceAugmentation
from fakevideo.data.faces import FaceClip, face_item
from fakevideo.errors import ConfigError
from fakevideo.tasks.fsgan import ReenactmentTask
from fakevideo.video.preprocess import FaceSequenceCache, file_hash

CACHE_VERSION = 1


@dataclass(frozen=True)
class FinetuneSettings:
    """How long and how fast to adapt the reenactment generator to one source (iterations 0 = off)."""

    iterations: int = 0
    batch_size: int = 4
    lr: float = 1e-4
    seed: int = 0

    def __post_init__(self):
        if self.iterations < 0:
            raise ConfigError(f"finetune.iterations={self.iterations}: must be 0 (off) or positive")
        if self.batch_size < 1:
            raise ConfigError(f"finetune.batch_size={self.batch_size}: must be at least 1")
        if not self.lr > 0:
            raise ConfigError(f"finetune.lr={self.lr}: must be positive")

    @property
    def enabled(self) -> bool:
        return self.iterations > 0


def cache_file(source: Path, reenactment_sha256: str | None, settings: FinetuneSettings, cache_dir: Path) -> Path:
    """`<cache_dir>/finetune/<stem>-<16 hex>.pt`, keyed by the source's content, the checkpoint and the settings."""
    parts = {"source": file_hash(source), "reenactment": reenactment_sha256, "settings": asdict(settings),
             "version": CACHE_VERSION}
    key = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:16]
    return cache_dir / "finetune" / f"{source.stem}-{key}.pt"


def view_batch(faces: FaceSequenceCache, frames: list[int], size: int) -> dict[str, torch.Tensor]:
    """The source's faces at `frames`, at `size` px: images in [0, 1], landmarks, face/hair/background masks.

    Read from the memory-mapped crop cache per batch, so fine-tuning on a long source video holds one batch of
    views in memory, not every frame (1800 frames at 256 px would be 1.4 GB of float images)."""
    clip = FaceClip(identity=0, sequence=faces)
    items = [face_item(clip, frame, size) for frame in frames]
    return {name: torch.stack([item[name] for item in items]) for name in items[0]}


def self_reenactment_batch(faces: FaceSequenceCache, size: int, augment: FaceAugmentation, batch_size: int,
                           generator: torch.Generator, device: torch.device) -> dict[str, torch.Tensor]:
    """A batch of (source view, target view) pairs of the same face, each side augmented independently."""
    batch = {}
    for key in ("source", "target"):
        frames = torch.randint(len(faces.frames), (batch_size,), generator=generator).tolist()
        views = {name: value.to(device) for name, value in view_batch(faces, frames, size).items()}
        image, _, landmarks = augment(views["image"], views["masks"].float(), views["landmarks"])
        batch[f"{key}_image"], batch[f"{key}_landmarks"] = image * 2 - 1, landmarks
    return batch


def reconstruction_loss(task: ReenactmentTask, batch: dict[str, torch.Tensor]) -> torch.Tensor:
    """The recipe's own reconstruction terms, summed, for one batch of pairs."""
    prepared = task.prepare(batch)
    return sum(task.reconstruction_terms(task.generator(prepared["input"]), prepared).values())


def finetune_reenactment(task: ReenactmentTask, faces: FaceSequenceCache, image_size: int, settings: FinetuneSettings,
                         autocast: Callable[[], AbstractContextManager] = contextlib.nullcontext) -> list[float]:
    """Train `task.generator` in place on self-reenactment of the source's `faces`; returns every iteration's loss.

    Seeded: the pair draws and the augmentation use their own generator and a forked global RNG, so the
    result depends only on the settings and the source.
    """
    device = next(task.generator.parameters()).device
    augment = FaceAugmentation(flip=0.0).to(device)  # a flip would mirror the identity's asymmetries
    optimizer = torch.optim.Adam(task.generator.parameters(), lr=settings.lr, betas=(0.5, 0.999))
    draws = torch.Generator().manual_seed(settings.seed)
    losses = []
    task.generator.train()
    with torch.random.fork_rng(devices=[device] if device.type == "cuda" else []):
        torch.manual_seed(settings.seed)
        for _ in tqdm(range(settings.iterations), desc="fine-tune reenactment", unit="it", leave=False):
            batch = self_reenactment_batch(faces, image_size, augment, settings.batch_size, draws, device)
            with autocast():
                loss = reconstruction_loss(task, batch)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
            losses.append(float(loss.detach()))
    task.generator.eval()
    return losses


def finetuned_state(task: ReenactmentTask, source: Path, faces: FaceSequenceCache, reenactment_sha256: str | None,
                    settings: FinetuneSettings, cache_dir: Path, image_size: int,
                    autocast: Callable[[], AbstractContextManager] = contextlib.nullcontext) -> dict[str, torch.Tensor]:
    """The generator weights fine-tuned on `source`: from the cache, else trained now (in place) and cached."""
    path = cache_file(source, reenactment_sha256, settings, cache_dir)
    if path.is_file():
        return torch.load(path, map_location="cpu", weights_only=True)
    finetune_reenactment(task, faces, image_size, settings, autocast)
    state = {name: value.detach().cpu() for name, value in task.generator.state_dict().items()}
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_path(path) as tmp:
        torch.save(state, tmp)
    return state


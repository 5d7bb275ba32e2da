"""Face clips for the FSGAN recipes and their LightningDataModule.

A face folder is `<root>/<identity>/<video or image>` (files directly under root are one identity each); with
`root: null` the built-in demo clips are made under `demo_dir` on first use. Every clip goes through the cached
preprocessing (detect, track, crop, landmarks); items are pairs of face crops, from the same video
(reenactment, completion, segmentation) or from different identities (blending), at `image_size` px with their
landmarks and face/hair/background masks. Augmentation runs batched on the device after transfer.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytorch_lightning as pl
import torch
from torch.utils.data import DataLoader, Dataset

from fakevideo.data import check_loader_knobs
from fakevideo.data.demo_faces import build_demo_faces
from fakevideo.data.face_augment import FaceAugmentation
from fakevideo.data.plots import plot_face_samples
from fakevideo.errors import ConfigError, InputError
from fakevideo.parallel import loader_workers
from fakevideo.video.faces import make_detector
from fakevideo.video.masks import segmentation_masks
from fakevideo.video.preprocess import FaceSequenceCache, PreprocessSettings, preprocess_video

log = logging.getLogger(__name__)

VIDEO_SUFFIXES = {".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v"}
IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".webp"}
PAIRINGS = ("same_video", "cross_identity")
IMAGE_KEYS = ("source", "target")


def discover_face_media(root: Path) -> dict[str, list[Path]]:
    """Media files by identity: subfolders are identities; a file directly under root is its own identity."""
    if not root.is_dir():
        raise ConfigError(f"data.root={root}: no such folder")
    suffixes = VIDEO_SUFFIXES | IMAGE_SUFFIXES
    found: dict[str, list[Path]] = {}
    for path in sorted(root.iterdir()):
        if path.is_dir():
            files = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in suffixes)
            if files:
                found[path.name] = files
        elif path.suffix.lower() in suffixes:
            found[path.stem] = [path]
    if not found:
        raise InputError(f"{root}: no videos or images ({', '.join(sorted(suffixes))}) in it or its subfolders")
    return found


@dataclass
class FaceClip:
    identity: int
    sequence: FaceSequenceCache

    def __len__(self) -> int:
        return len(self.sequence.frames)


def resize_face(crop: np.ndarray, landmarks: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """A square uint8 crop and its pixel landmarks at `size` px (pixel centres map onto pixel centres)."""
    scale = size / crop.shape[0]
    if scale != 1:
        crop = cv2.resize(np.asarray(crop), (size, size), interpolation=cv2.INTER_AREA)
    return crop, (landmarks + 0.5) * scale - 0.5


def face_item(clip: FaceClip, frame: int, size: int) -> dict[str, torch.Tensor]:
    """Image (3, S, S) in [0, 1], landmarks (68, 2) and one-hot face/hair/background masks (3, S, S)."""
    crop, landmarks = resize_face(clip.sequence.crops[frame], clip.sequence.crop_landmarks[frame], size)
    return {"image": torch.from_numpy(np.ascontiguousarray(crop)).permute(2, 0, 1).float() / 255,
            "landmarks": torch.from_numpy(landmarks).float(),
            "masks": torch.from_numpy(segmentation_masks(landmarks, (size, size)))}


def sample_pair(clips: list[FaceClip], pairing: str, rng: np.random.Generator,
                source: int | None = None) -> tuple[tuple[int, int], ...]:
    """(clip, frame) of a source and a target: two frames of one video, or faces of two identities.
    The source clip is drawn unless given."""
    source = int(rng.integers(len(clips))) if source is None else source
    if pairing == "same_video":
        target = source
    else:
        others = [i for i, c in enumerate(clips) if c.identity != clips[source].identity]
        target = others[int(rng.integers(len(others)))]
    return (source, int(rng.integers(len(clips[source])))), (target, int(rng.integers(len(clips[target]))))


class FacePairDataset(Dataset):
    """Pairs of faces as `source_*` / `target_*` image, landmarks, masks, identity. With `fixed_seed` the pairs
    are fixed (validation); otherwise each item draws a fresh pair."""

    def __init__(self, clips: list[FaceClip], pairing: str, image_size: int, length: int,
                 fixed_seed: int | None = None):
        self.clips, self.pairing, self.image_size, self.length = clips, pairing, image_size, length
        self.fixed_seed = fixed_seed

    def __len__(self) -> int:
        return self.length

    def __getitem__(self, index: int) -> dict:
        if self.fixed_seed is None:
            pair = sample_pair(self.clips, self.pairing, np.random.default_rng(int(torch.randint(2**31, ()))))
        else:  # fixed pairs whose sources spread over the clips
            rng = np.random.default_rng((self.fixed_seed, index))
            pair = sample_pair(self.clips, self.pairing, rng, source=index * len(self.clips) // self.length)
        item = {}
        for key, (clip, frame) in zip(IMAGE_KEYS, pair, strict=True):
            face = face_item(self.clips[clip], frame, self.image_size)
            item |= {f"{key}_{name}": value for name, value in face.items()}
            item[f"{key}_identity"] = self.clips[clip].identity
        return item


class FaceDataModule(pl.LightningDataModule):
    """Preprocessed face clips served as source/target pairs for any FSGAN recipe."""

    def __init__(self, root: str | None = None, demo_dir: str = "data/demo/faces",
                 cache_dir: str = ".cache/fakevideo/faces", image_size: int = 128, crop_size: int = 256,
                 crop_scale: float = 1.2, detector: dict | None = None, pairing: str = "same_video",
                 augment: dict | None = None, batch_size: int = 4, samples_per_epoch: int = 10000,
                 val_samples: int = 4, num_workers: int | None = None, seed: int = 0):
        super().__init__()
        if pairing not in PAIRINGS:
            raise ConfigError(f"data.pairing={pairing!r}: choose one of {', '.join(PAIRINGS)}")
        check_loader_knobs(batch_size, samples_per_epoch, val_samples=val_samples)
        if not 16 <= image_size <= crop_size:
            raise ConfigError(f"data.image_size={image_size}: must be between 16 and data.crop_size={crop_size}")
        self.root = Path(root) if root else None
        self.demo_dir, self.cache_dir = Path(demo_dir), Path(cache_dir)
        self.image_size, self.pairing = image_size, pairing
        self.settings = PreprocessSettings(crop_size=crop_size, crop_scale=crop_scale)
        self.detector_cfg = dict(detector or {"name": "dlib"})
        self.augmentation = FaceAugmentation(**augment) if augment is not None else None
        self.batch_size, self.samples_per_epoch, self.val_samples = batch_size, samples_per_epoch, val_samples
        self.num_workers, self.seed = loader_workers(num_workers, gpu=torch.cuda.is_available()), seed
        self.identities: list[str] = []
        self.clips: list[FaceClip] = []

    @property
    def media_root(self) -> Path:
        return self.root if self.root is not None else self.demo_dir

    def _preprocess_all(self) -> list[tuple[str, FaceSequenceCache]]:
        detector_cfg = dict(self.detector_cfg)
        detector = make_detector(detector_cfg.pop("name"), **detector_cfg)
        return [(identity, preprocess_video(path, self.cache_dir, detector, self.settings))
                for identity, paths in discover_face_media(self.media_root).items() for path in paths]

    def prepare_data(self) -> None:
        """Build the demo clips when no root is given, then fill the preprocessing cache (idempotent)."""
        if self.root is None:
            build_demo_faces(self.demo_dir)
        self._preprocess_all()

    def setup(self, stage: str | None = None) -> None:
        if self.clips:
            return
        sequences = self._preprocess_all()
        self.identities = sorted({identity for identity, _ in sequences})
        self.clips = [FaceClip(self.identities.index(identity), seq) for identity, seq in sequences]
        if self.pairing == "cross_identity" and len(self.identities) < 2:
            raise InputError(f"{self.media_root}: data.pairing=cross_identity needs faces of at least two "
                             f"identities (subfolders), found {self.identities}")
        log.info("faces: %d clips, %d identities, %d frames", len(self.clips), len(self.identities),
                 sum(len(c) for c in self.clips))

    def describe(self) -> dict:
        """Facts carried by checkpoints: image size, crop settings, identities, pairing."""
        return {"image_size": self.image_size, "crop_size": self.settings.crop_size,
                "crop_scale": self.settings.crop_scale, "identities": self.identities, "pairing": self.pairing,
                "clips": len(self.clips), "frames": sum(len(c) for c in self.clips)}

    def write_summary(self, folder: str | Path) -> None:
        """A PNG of a few training crops with their landmarks and face-mask outline."""
        items = [self.val_dataset()[i] for i in range(min(self.val_samples, 8))]
        faces = [(item["target_image"], item["target_landmarks"], item["target_masks"][0]) for item in items]
        titles = [self.identities[item["target_identity"]] for item in items]
        plot_face_samples(faces, titles, Path(folder) / "data_faces.png")

    def val_dataset(self) -> FacePairDataset:
        return FacePairDataset(self.clips, self.pairing, self.image_size, self.val_samples, fixed_seed=self.seed)

    def train_dataloader(self) -> DataLoader:
        dataset = FacePairDataset(self.clips, self.pairing, self.image_size, self.samples_per_epoch)
        return DataLoader(dataset, batch_size=self.batch_size, shuffle=False, drop_last=True,
                          num_workers=self.num_workers, persistent_workers=self.num_workers > 0,
                          pin_memory=torch.cuda.is_available())

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self.val_dataset(), batch_size=self.val_samples, shuffle=False)

    def on_after_batch_transfer(self, batch: dict, dataloader_idx: int) -> dict:
        """Augment training batches on the device; map every image from [0, 1] to [-1, 1]."""
        training = self.trainer is not None and self.trainer.training
        for key in IMAGE_KEYS:
            if training and self.augmentation is not None:
                batch[f"{key}_image"], batch[f"{key}_masks"], batch[f"{key}_landmarks"] = self.augmentation(
                    batch[f"{key}_image"], batch[f"{key}_masks"], batch[f"{key}_landmarks"])
            batch[f"{key}_image"] = batch[f"{key}_image"] * 2 - 1
        return batch

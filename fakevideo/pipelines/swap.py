"""Face swap on video: the source face (image or video) onto the main face of a target video, with trained FSGAN
models or the training-free landmark warp (`method=warp`, `fakevideo.pipelines.warp_model`).

Both files go through the cached preprocessing; the target is then decoded, swapped and encoded frame by frame
in batches, so memory stays flat however long the video. Each target frame is reenacted from the source views
nearest its head pose (Delaunay/barycentric, `ViewSelector`), segmented, completed, blended and pasted back
with a soft eroded mask. Frames without the target's face pass through (still watermarked, as is the whole
file). The output carries the target's audio (or a given track), a provenance label and, by default, the
invisible watermark; a visible caption is optional. With `finetune.iterations > 0` the reenactment generator is
first adapted to the source by self-reenactment (`finetune`), cached per source. A swap model is either
`FaceSwapModels` (FSGAN) or `WarpFaceModel` (the warp, optionally followed by FSGAN's segmentation, completion and
blending stages): both turn batches of source views and target crops into swapped crops and face masks.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from omegaconf import DictConfig, OmegaConf
from tqdm.auto import tqdm

from fakevideo.data.faces import resize_face
from fakevideo.errors import ConfigError
from fakevideo.parallel import in_background, prefetch, torch_threads
from fakevideo.pipelines.face_models import ROLES, FaceSwapModels
from fakevideo.pipelines.finetune import FinetuneSettings, finetuned_state
from fakevideo.pipelines.warp_model import WARP_STAGES, WarpFaceModel
from fakevideo.provenance import ProvenanceLabel, caption_frame, embed_frame_watermark, labelled_video
from fakevideo.provenance.caption import DEFAULT_CAPTION
from fakevideo.video.crop import paste_back_batch
from fakevideo.video.face_choice import MAIN, parse_face_choice
from fakevideo.video.faces import FaceDetector, make_detector
from fakevideo.video.io import VideoWriter, iter_frames, mux_audio, read_video_info
from fakevideo.video.masks import paste_masks
from fakevideo.video.preprocess import FaceSequenceCache, PreprocessSettings, preprocess_video
from fakevideo.video.views import ViewSelector
from fakevideo.video.warp import WarpSettings

METHODS = ("auto", "fsgan", "warp")


@dataclass(frozen=True)
class SwapOptions:
    """Inference knobs: frames per batch, paste-mask erosion and blur (fractions of the crop side), marks,
    per-source fine-tuning, which face of the target to replace (`fakevideo.video.face_choice`)."""

    batch_size: int = 8
    mask_erosion: float = 0.06
    mask_blur: float = 0.02
    watermark: bool = True
    caption: bool = False
    caption_text: str = DEFAULT_CAPTION
    finetune: FinetuneSettings = field(default_factory=FinetuneSettings)
    target_face: str | int | Path = MAIN

    def __post_init__(self):
        if self.batch_size < 1:
            raise ConfigError(f"batch_size={self.batch_size}: must be at least 1")
        if not (0 <= self.mask_erosion < 0.5 and 0 <= self.mask_blur < 0.5):
            raise ConfigError("mask.erosion and mask.blur are fractions of the crop side in [0, 0.5)")


@dataclass(frozen=True)
class SwapSummary:
    """What a swap did: frames written, frames swapped, frames passed through without a face, wall time."""

    output: Path
    frames: int
    swapped: int
    seconds: float

    @property
    def passed_through(self) -> int:
        return self.frames - self.swapped

    def __str__(self) -> str:
        rate = self.frames / self.seconds if self.seconds > 0 else float("inf")
        return (f"wrote {self.output}: {self.frames} frames, {self.swapped} swapped, {self.passed_through} without "
                f"a face passed through unchanged; {self.seconds:.1f} s ({rate:.1f} frames/s)")


def crop_to_model(transform: np.ndarray, crop_size: int, image_size: int) -> np.ndarray:
    """Frame-to-crop transform at `crop_size` px re-expressed at `image_size` px (pixel centres kept)."""
    k = image_size / crop_size
    rescale = np.array([[k, 0.0, (k - 1) / 2], [0.0, k, (k - 1) / 2], [0.0, 0.0, 1.0]])
    return rescale @ transform


def to_model_faces(crops: np.ndarray, landmarks: np.ndarray, size: int) -> tuple[torch.Tensor, torch.Tensor]:
    """uint8 (N, C, C, 3) crops and crop-pixel landmarks -> images in [-1, 1] and landmarks at `size` px."""
    resized = [resize_face(crop, points, size) for crop, points in zip(crops, landmarks, strict=True)]
    images = torch.from_numpy(np.stack([image for image, _ in resized])).permute(0, 3, 1, 2).float() / 127.5 - 1
    return images, torch.from_numpy(np.stack([points for _, points in resized])).float()


class FaceSwapper:
    """Swaps one source identity onto target videos with loaded FSGAN models or the warp baseline."""

    def __init__(self, models: FaceSwapModels | WarpFaceModel, detector: FaceDetector, cache_dir: str | Path,
                 options: SwapOptions | None = None):
        self.models, self.detector, self.cache_dir = models, detector, Path(cache_dir)
        self.options = options or SwapOptions()
        self.settings = PreprocessSettings(crop_size=models.crop_size, crop_scale=models.crop_scale)
        self._base_reenactment: dict[str, torch.Tensor] | None = None  # weights before any fine-tuning

    def preprocess(self, path: str | Path, face: str | int | Path = MAIN) -> FaceSequenceCache:
        """The cached sequence of a video's (or image's) main or chosen face, cropped as the models were trained."""
        return preprocess_video(path, self.cache_dir, self.detector, self.settings, face)

    def label(self, source: Path, target: Path) -> ProvenanceLabel:
        """Provenance of a swapped video: the method (fsgan, warp), the reenactment checkpoint's hash, all hashes."""
        hashes = self.models.checkpoints
        extra = {"checkpoints": hashes, "source": source.name, "target": target.name}
        if self.options.finetune.enabled:
            extra["finetune"] = asdict(self.options.finetune)
        return ProvenanceLabel(self.models.family, hashes.get("reenactment"), extra=extra)

    def adapt_to_source(self, source: Path, faces: FaceSequenceCache) -> None:
        """Fine-tune the reenactment generator on this source (or load its cached fine-tune), starting from the
        checkpoint's weights whatever source was swapped before; nothing when fine-tuning is off."""
        settings = self.options.finetune
        if not settings.enabled:
            return
        task = self.models.tasks["reenactment"]
        if self._base_reenactment is None:
            self._base_reenactment = {name: value.clone() for name, value in task.generator.state_dict().items()}
        else:
            task.generator.load_state_dict(self._base_reenactment)
        state = finetuned_state(task, source, faces, self.models.checkpoints.get("reenactment"), settings,
                                self.cache_dir, self.models.image_size, self.models.autocast)
        task.generator.load_state_dict(state)

    def swap(self, source: str | Path, target: str | Path, output: str | Path, audio: str | Path | None = None,
             label: ProvenanceLabel | None = None) -> SwapSummary:
        """Write `output`: the target video with the source's face, the target's audio (or `audio`), labelled."""
        source, target, output = Path(source), Path(target), Path(output)
        if output.is_dir():
            raise ConfigError(f"output={output}: is a folder; name the video file to write, e.g. "
                              f"output={output / 'swapped.mp4'}")
        start = time.perf_counter()
        source_faces, target_faces = self.preprocess(source), self.preprocess(target, self.options.target_face)
        self.adapt_to_source(source, source_faces)
        info = read_video_info(target)
        audio = audio if audio is not None else (target if info.has_audio else None)
        with labelled_video(output, label or self.label(source, target)) as labelled:  # renamed once labelled
            video = labelled.with_name("frames.mp4")
            frames, swapped = self._write_frames(source_faces, target_faces, target, video, info.fps,
                                                 info.num_frames)
            if audio is not None:
                mux_audio(video, audio, labelled)
            else:
                video.replace(labelled)
        return SwapSummary(output, frames, swapped, time.perf_counter() - start)

    def _write_frames(self, source: FaceSequenceCache, target: FaceSequenceCache, target_path: Path, video: Path,
                      fps: float, expected_frames: int) -> tuple[int, int]:
        """Stream the target's frames through the swap in batches of `batch_size` frames; (written, swapped).

        Decoding runs ahead, and watermarking and encoding run behind, on background threads (FFmpeg releases
        the GIL), so the models never wait for either; a batch or two of frames is in memory at a time."""
        selector = ViewSelector(source.poses[:, :2])
        face_rows = {int(t): i for i, t in enumerate(target.frames)}
        pending: list[tuple[np.ndarray, int | None]] = []
        written = swapped = 0
        depth = 2 * self.options.batch_size
        threads = torch_threads(self.models.threads) if self.models.threads else contextlib.nullcontext()
        with (threads, VideoWriter(video, fps) as writer,
              in_background(lambda frame: writer.write(self._mark(frame)), depth) as write,
              tqdm(total=expected_frames, unit="frame", desc="swap") as bar):
            def flush() -> None:
                nonlocal written, swapped
                rows = [row for _, row in pending if row is not None]
                faces = iter(self._swap_batch(source, target, selector, rows, [f for f, r in pending if r is not None]))
                for frame, row in pending:
                    write(next(faces) if row is not None else frame)
                written, swapped = written + len(pending), swapped + len(rows)
                bar.update(len(pending))
                pending.clear()

            for t, frame in enumerate(prefetch(iter_frames(target_path), depth)):
                pending.append((frame, face_rows.get(t)))
                if len(pending) == self.options.batch_size:
                    flush()
            if pending:
                flush()
        return written, swapped

    def _swap_batch(self, source: FaceSequenceCache, target: FaceSequenceCache, selector: ViewSelector,
                    rows: list[int], frames: list[np.ndarray]) -> list[np.ndarray]:
        """Swap the face into each frame; `rows` index the target's face sequence."""
        if not rows:
            return []
        models, size, device = self.models, self.models.image_size, self.models.device
        owners, views, weights = [], [], []
        for b, row in enumerate(rows):
            chosen, chosen_weights = selector.select(target.poses[row])
            owners.extend([b] * len(chosen))
            views.extend(chosen.tolist())
            weights.extend(chosen_weights.tolist())
        unique, inverse = np.unique(views, return_inverse=True)
        view_images, view_landmarks = to_model_faces(source.crops[unique], source.crop_landmarks[unique], size)
        targets, landmarks = to_model_faces(target.crops[rows], target.crop_landmarks[rows], size)
        swapped, masks = models.swap(view_images[inverse].to(device), torch.tensor(owners, device=device),
                                     torch.tensor(weights, dtype=torch.float32, device=device),
                                     targets.to(device), landmarks.to(device), view_landmarks[inverse].to(device))
        paste = paste_masks(masks, self.options.mask_erosion, self.options.mask_blur)
        transforms = np.stack([crop_to_model(target.crop_transforms[row], models.crop_size, size) for row in rows])
        return list(paste_back_batch(np.stack(frames), (swapped.clamp(-1, 1) + 1) * 127.5, transforms, paste))

    def _mark(self, frame: np.ndarray) -> np.ndarray:
        """The visible caption (when asked) and the invisible watermark (unless switched off) on a frame."""
        if self.options.caption:
            frame = caption_frame(frame, self.options.caption_text)
        return embed_frame_watermark(frame) if self.options.watermark else frame


def swap_method(cfg: DictConfig) -> str:
    """`method`, with `auto` resolved: FSGAN when any checkpoint is given, else the training-free warp."""
    method = cfg.get("method", "auto")
    if method not in METHODS:
        raise ConfigError(f"method: {method!r} is not one of {', '.join(METHODS)}")
    if method == "auto":
        return "fsgan" if any(cfg.ckpt.get(role) is not None for role in ROLES) else "warp"
    return method


def warp_model(cfg: DictConfig) -> WarpFaceModel:
    """method=warp: the warp alone, or the warp as the reenactment followed by the FSGAN stages whose checkpoints
    are given (ckpt.segmentation, ckpt.completion, ckpt.blending)."""
    if cfg.ckpt.get("reenactment") is not None:
        raise ConfigError("ckpt.reenactment: method=warp is the reenactment (the source face warped to the target's "
                          "landmarks); drop ckpt.reenactment or use method=fsgan")
    paths = {role: cfg.ckpt.get(role) for role in WARP_STAGES if cfg.ckpt.get(role) is not None}
    stages = FaceSwapModels.from_checkpoints(paths, cfg.device, required=()) if paths else None
    return WarpFaceModel(WarpSettings(**OmegaConf.to_container(cfg.warp)), device=cfg.device, stages=stages)


def build_swapper(cfg: DictConfig) -> FaceSwapper:
    """A FaceSwapper from a swap config (`conf/swap.yaml`): method (checkpoints or warp), detector, cache, options."""
    finetune = FinetuneSettings(**OmegaConf.to_container(cfg.finetune))
    if swap_method(cfg) == "fsgan":
        models = FaceSwapModels.from_checkpoints({role: cfg.ckpt.get(role) for role in ROLES}, cfg.device)
    elif finetune.enabled:
        raise ConfigError("finetune.iterations: fine-tuning adapts FSGAN's reenactment model; method=warp has none")
    else:
        models = warp_model(cfg)
    detector_cfg = OmegaConf.to_container(cfg.detector)
    detector = make_detector(detector_cfg.pop("name"), **detector_cfg)
    options = SwapOptions(batch_size=cfg.batch_size, mask_erosion=cfg.mask.erosion, mask_blur=cfg.mask.blur,
                          watermark=cfg.watermark, caption=cfg.caption, finetune=finetune,
                          target_face=parse_face_choice(cfg.target_face))
    return FaceSwapper(models, detector, cfg.cache_dir, options)

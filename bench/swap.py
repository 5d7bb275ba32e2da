"""End-to-end face-swap frames/s (and per stage) at 256 px crops, with untrained generators of paper width.

python bench/swap.py [--device cuda] [--width 64] [--batch 8] [--frames 96] [--no-segmentation]
The target is a demo clip looped to --frames frames (256 x 256), the source the other demo identity's still;
preprocessing is cached before the timed run, so the end-to-end number is decode + swap + encode + labelling.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from hydra.utils import instantiate

from fakevideo.config import compose
from fakevideo.data.demo_faces import build_demo_faces
from fakevideo.pipelines.face_models import ROLES, FaceSwapModels
from fakevideo.pipelines.swap import FaceSwapper, SwapOptions, crop_to_model, to_model_faces
from fakevideo.provenance import embed_frame_watermark
from fakevideo.video.crop import paste_back_batch
from fakevideo.video.faces import DlibDetector
from fakevideo.video.io import VideoWriter, iter_frames
from fakevideo.video.masks import paste_masks

SIZE = 256


def untrained_models(device: torch.device, width: int, roles: list[str], scratch: Path) -> FaceSwapModels:
    """The FSGAN tasks as configured (at `width` channels), random weights, told they were trained at 256 px."""
    tasks = {}
    for role in roles:
        no_vgg = [] if role == "segmentation" else ["model.perceptual=null", "model.loss.perceptual=0"]
        cfg = compose("train", [f"model=fsgan_{role}", "data=faces", f"width={width}", f"data.image_size={SIZE}",
                                *no_vgg], scratch / role)
        task = instantiate(cfg.model)
        task.attach_data({"image_size": SIZE, "crop_size": SIZE, "crop_scale": 1.2}, {})
        tasks[role] = task.eval()
    return FaceSwapModels(tasks, device)


def timed(run: Callable[[], object], device: torch.device, repeats: int = 3) -> float:
    """Best wall time of `run` in seconds (synchronising CUDA)."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        if device.type == "cuda":
            torch.cuda.synchronize()
        best = min(best, time.perf_counter() - start)
    return best


def stage_rates(swapper: FaceSwapper, source: Path, target: Path, batch: int) -> dict[str, float]:
    """Frames/s of each swap stage on one batch of target faces (one source view per face)."""
    models, device = swapper.models, swapper.models.device
    src, tgt = swapper.preprocess(source), swapper.preprocess(target)
    rows = list(range(min(batch, len(tgt.frames))))
    views, _ = to_model_faces(src.crops[[0] * len(rows)], src.crop_landmarks[[0] * len(rows)], SIZE)
    faces, landmarks = to_model_faces(tgt.crops[rows], tgt.crop_landmarks[rows], SIZE)
    views, faces, landmarks = views.to(device), faces.to(device), landmarks.to(device)
    masks = models.face_masks(faces, landmarks)
    frames = np.stack([next(iter_frames(target))] * len(rows))
    crops = (faces + 1) * 127.5
    paste = paste_masks(masks, 0.06, 0.02)
    transforms = np.stack([crop_to_model(tgt.crop_transforms[r], SIZE, SIZE) for r in rows])
    stages = {
        "load + resize crops": lambda: to_model_faces(tgt.crops[rows], tgt.crop_landmarks[rows], SIZE),
        "reenactment": lambda: models.reenact(views, landmarks),
        "face masks": lambda: models.face_masks(faces, landmarks),
        "completion": lambda: models.complete(faces, masks, masks),
        "blending": lambda: models.blend(faces, faces, masks),
        "soft masks": lambda: paste_masks(masks, 0.06, 0.02),
        "paste back (batched)": lambda: paste_back_batch(frames, crops, transforms, paste),
        "watermark": lambda: [embed_frame_watermark(f) for f in frames],
    }
    for run in stages.values():
        run()  # warm-up (cuDNN autotuning, allocator)
    return {name: len(rows) / timed(run, device) for name, run in stages.items()}


def looped_target(clip: Path, frames: int, out: Path) -> Path:
    """The clip played forwards and backwards until `frames` frames (smooth motion, no cut)."""
    images = list(iter_frames(clip))
    images += images[-2:0:-1]
    with VideoWriter(out, 25.0) as writer:
        for t in range(frames):
            writer.write(images[t % len(images)])
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--width", type=int, default=64, help="generator base channels (64 = paper size)")
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--frames", type=int, default=96)
    parser.add_argument("--no-segmentation", action="store_true", help="landmark masks instead of the model")
    parser.add_argument("--demo-dir", default="data/demo/faces")
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    clips = build_demo_faces(args.demo_dir, identities=["astronaut", "grace_hopper"], clips_per_identity=1)
    roles = [r for r in ROLES if not (args.no_segmentation and r == "segmentation")]
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        models = untrained_models(device, args.width, roles, scratch)
        detector = DlibDetector(upsample=1)
        swapper = FaceSwapper(models, detector, scratch / "cache", SwapOptions(batch_size=args.batch))
        source, target = clips[1].video.parent / "still.png", looped_target(clips[0].video, args.frames,
                                                                            scratch / "target.mp4")
        start = time.perf_counter()
        swapper.preprocess(source), swapper.preprocess(target)
        preprocess = time.perf_counter() - start
        name = torch.cuda.get_device_name(device) if device.type == "cuda" else \
            f"CPU, {torch.get_num_threads()} threads"
        precision = "bf16 autocast" if device.type == "cuda" else "float32"
        print(f"device: {name}; {precision}; width {args.width}; batch {args.batch}; roles {', '.join(roles)}")
        print(f"preprocessing (dlib HOG on {detector.frame_workers} CPU threads, uncached): "
              f"{args.frames / preprocess:.1f} frames/s")
        print(f"per stage at {SIZE} px, frames/s:")
        for stage, fps in stage_rates(swapper, source, target, args.batch).items():
            print(f"  {stage:24s} {fps:9.1f}")
        summary = swapper.swap(source, target, scratch / "swapped.mp4")
        print(f"end to end (cached preprocessing; decode, swap, encode, label): "
              f"{summary.frames / summary.seconds:.1f} frames/s over {summary.frames} frames")
        assert summary.swapped > 0 and np.isfinite(summary.seconds)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        longer = looped_target(clips[0].video, 3 * args.frames, scratch / "longer.mp4")
        swapper.preprocess(longer)
        swapper.swap(source, longer, scratch / "longer-swapped.mp4")
        longer_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"peak RSS after {args.frames} frames: {rss:.0f} MiB; after {3 * args.frames} frames: {longer_rss:.0f} "
              f"MiB (streaming: flat in video length)")


if __name__ == "__main__":
    main()

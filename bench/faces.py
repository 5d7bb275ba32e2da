"""Frames per second of each FSGAN preprocessing step and of each generator's inference at 256 px.

python bench/faces.py [--device cuda] [--width 64] [--batch 8]  (GPU runs use bf16 autocast; CPU float32)
Preprocessing runs on the built-in demo clips (dlib HOG detector, made under --demo-dir on first use).
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from fakevideo.data.demo_faces import build_demo_faces
from fakevideo.models.resunet import MultiScaleResUNet
from fakevideo.video.crop import crop_frames, crop_transform, face_box, paste_back
from fakevideo.video.faces import DlibDetector
from fakevideo.video.heatmaps import landmark_heatmaps
from fakevideo.video.io import iter_frames
from fakevideo.video.masks import segmentation_masks
from fakevideo.video.pose import head_pose
from fakevideo.video.tracking import link_tracks, main_track, smooth_track

GENERATORS = {"reenactment": (71, "tanh"), "segmentation": (3, "none"), "completion": (4, "tanh"),
              "blending": (7, "tanh")}


def rate(frames: int, run: Callable[[], object], repeats: int = 1) -> float:
    """Frames per second of `run`, which processes `frames` frames, best of `repeats`."""
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - start)
    return frames / best


def preprocessing_rates(video: Path, size: int = 256) -> dict[str, float]:
    frames = np.stack(list(iter_frames(video)))
    n = len(frames)
    detector = DlibDetector(upsample=1)
    faces = [detector.detect(f) for f in frames]
    track = smooth_track(main_track(link_tracks(faces, 0.3, 5)))
    transforms = np.array([crop_transform(face_box(b, p), size) for b, p in zip(track.boxes, track.landmarks,
                                                                                strict=True)])
    crops = crop_frames(frames, transforms, size)
    landmarks = torch.from_numpy(track.landmarks).float()
    masks = [segmentation_masks(p, (size, size)) for p in track.landmarks]
    return {
        "decode": rate(n, lambda: list(iter_frames(video))),
        "detect+landmarks (dlib HOG, up 1)": rate(n, lambda: [detector.detect(f) for f in frames]),
        "track+smooth": rate(n, lambda: smooth_track(main_track(link_tracks(faces, 0.3, 5))), 3),
        "crop 256": rate(n, lambda: crop_frames(frames, transforms, size), 3),
        "head pose (PnP)": rate(n, lambda: [head_pose(p, *frames.shape[2:0:-1]) for p in track.landmarks], 3),
        "heatmaps 68x256": rate(n, lambda: landmark_heatmaps(landmarks, (size, size)), 3),
        "masks": rate(n, lambda: [segmentation_masks(p, (size, size)) for p in track.landmarks], 3),
        "paste back": rate(n, lambda: [paste_back(f, c, t, m[0]) for f, c, t, m in
                                       zip(frames, crops, transforms, masks, strict=True)], 3),
    }


@torch.no_grad()
def generator_rates(device: torch.device, width: int, batch: int, size: int = 256) -> dict[str, float]:
    out = {}
    autocast = torch.autocast(device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")
    for name, (channels, output) in GENERATORS.items():
        net = MultiScaleResUNet(channels, 3, base_channels=width, output=output).to(device).eval()
        x = torch.randn(batch, channels, size, size, device=device)

        def run(net=net, x=x):
            with autocast:
                net(x)
            if device.type == "cuda":
                torch.cuda.synchronize()

        run()  # warm-up (cuDNN autotuning, allocator)
        params = sum(p.numel() for p in net.parameters()) / 1e6
        out[f"{name} generator ({params:.1f} M params)"] = rate(batch, run, 3)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    parser.add_argument("--width", type=int, default=64, help="generator base channels (64 = paper size)")
    parser.add_argument("--batch", type=int, default=None, help="frames per generator call (8 GPU, 1 CPU)")
    parser.add_argument("--demo-dir", default="data/demo/faces")
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True
    clip = build_demo_faces(args.demo_dir, identities=["astronaut"], clips_per_identity=1)[0]
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else f"CPU, {torch.get_num_threads()} threads"
    print(f"device: {name}; demo clip {clip.video} (256 x 256)")
    print("preprocessing (CPU), frames/s:")
    for step, fps in preprocessing_rates(clip.video).items():
        print(f"  {step:40s} {fps:9.1f}")
    batch = args.batch or (8 if device.type == "cuda" else 1)
    precision = "bf16 autocast" if device.type == "cuda" else "float32"
    print(f"generator inference at 256 px, width {args.width}, batch {batch}, {precision}, frames/s:")
    for net, fps in generator_rates(device, args.width, batch).items():
        print(f"  {net:40s} {fps:9.1f}")


if __name__ == "__main__":
    main()

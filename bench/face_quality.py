"""Face-swap quality of the training-free warp baseline on identities the project never tuned on.

python bench/face_quality.py [--frames 50] [--pairs biden:obama obama:biden ...] [--completion FILE] [--blending FILE]

For each source:target pair of photos in tests/data/faces, the target photo becomes a moving clip (the demo
clips' motion, 256 px) and the source photo is swapped onto it with `method=warp` at 256 px crops. Per pair:
identity (dlib's 128-d embedding: L2 distance of each swapped frame's face to the source photo's and to the
target photo's; "closer" is the share of frames nearer the source), landmark error to the target (mean landmark
distance over the inter-ocular distance, and head-pose error), SSIM outside the face (the swap must leave the rest
of the frame; the watermark and H.264 take a little), the flicker score of `python -m fakevideo.evaluate_swap`
(mean frame-to-frame change inside the target's face minus the target's own), and frames/s of the swap with
preprocessing cached (decode, warp, blend, paste back, watermark, encode, label) and of the whole first run (with
face detection), with the process's CPU seconds per frame of the cached run (all threads; what a busy machine does
not change much). A "no swap" row scores the target clip itself. Given FSGAN completion and/or blending checkpoints
(train.py's or the published v2 files), a "warp+fsgan" row per pair scores the warp followed by those stages
(`swap.py method=warp ckpt.completion=... ckpt.blending=...`), on the crops they were trained at. The faces are
over 80 px, so dlib's HOG detector runs without upsampling.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from kornia.metrics import ssim

from fakevideo.config import compose
from fakevideo.data.demo_faces import photo_clip
from fakevideo.evaluation.swap import temporal_flicker
from fakevideo.evaluation.video import face_track
from fakevideo.metrics.video_similarity import FaceTrack, expression_error, face_regions, pose_error
from fakevideo.pipelines.swap import build_swapper
from fakevideo.video.faces import DlibDetector
from fakevideo.video.io import iter_frames

FACES = Path(__file__).resolve().parent.parent / "tests" / "data" / "faces"
PAIRS = ["biden:obama", "obama:biden", "biden:obama2", "obama2:biden"]
OUTSIDE_MARGIN = 0.15  # face region grown by this fraction of its width before "outside" starts


@dataclass(frozen=True)
class Row:
    name: str
    to_source: float
    to_target: float
    closer: float
    landmark_error: float
    pose_error: float
    ssim_outside: float
    flicker: float
    fps_cached: float
    fps_first: float
    cpu_ms: float


def ssim_outside(video: Path, target: Path, outside: np.ndarray) -> float:
    """Mean SSIM (11 px window) between the two videos' frames over the pixels outside the face."""
    scores = []
    for t, (a, b) in enumerate(zip(iter_frames(video), iter_frames(target), strict=True)):
        pair = [torch.from_numpy(x).permute(2, 0, 1)[None].float() / 255 for x in (a, b)]
        ssim_map = ssim(*pair, 11).mean(1)[0].numpy()
        scores.append(ssim_map[outside[t]].mean())
    return float(np.mean(scores))


def identity_distances(track: FaceTrack, reference: np.ndarray) -> np.ndarray:
    return np.linalg.norm(track.embeddings - reference, axis=-1)


def score(name: str, video: Path, target: Path, target_track: FaceTrack, source_embedding: np.ndarray,
          target_embedding: np.ndarray, detector: DlibDetector, speed: tuple[float, float, float]) -> Row:
    track = target_track if video == target else face_track(video, detector)
    to_source, to_target = identity_distances(track, source_embedding), identity_distances(track, target_embedding)
    outside = np.array([~face for face in face_regions(target_track, OUTSIDE_MARGIN)])
    flicker = float(np.nanmean(temporal_flicker(video, target, target_track)))
    return Row(name, float(np.nanmean(to_source)), float(np.nanmean(to_target)), float(np.mean(to_source < to_target)),
               float(np.nanmean(expression_error(track, target_track))),
               float(np.nanmean(pose_error(track, target_track))), ssim_outside(video, target, outside), flicker,
               *speed)


def swaps(completion: str | None, blending: str | None) -> dict[str, list[str]]:
    """The swaps to score and their swap.py overrides: the warp, and the warp followed by the FSGAN stages given."""
    stages = [f"ckpt.{role}={path}" for role, path in (("completion", completion), ("blending", blending)) if path]
    return {"warp": [], **({"warp+fsgan": stages} if stages else {})}


def photo_embedding(name: str, detector: DlibDetector) -> np.ndarray:
    """dlib embedding of a held-out photo's face (as a one-frame video, so the same code path reads it)."""
    return face_track(FACES / f"{name}.jpg", detector).embeddings[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=50)
    parser.add_argument("--pairs", nargs="+", default=PAIRS, help="source:target photo names in tests/data/faces")
    parser.add_argument("--completion", help="FSGAN completion checkpoint: adds a warp+fsgan row per pair")
    parser.add_argument("--blending", help="FSGAN blending checkpoint: adds a warp+fsgan row per pair")
    args = parser.parse_args()
    detector = DlibDetector(upsample=0)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        scratch = Path(scratch)
        for pair in args.pairs:
            source, target = pair.split(":")
            clip = photo_clip(next(iter_frames(FACES / f"{target}.jpg")), scratch / f"{target}.mp4", args.frames)
            embeddings = [photo_embedding(name, detector) for name in (source, target)]
            target_track = face_track(clip, detector)
            for method, overrides in swaps(args.completion, args.blending).items():
                output = scratch / f"{source}_on_{target}_{method}.mp4"
                cfg = compose("swap", [f"source={FACES / f'{source}.jpg'}", f"target={clip}", f"output={output}",
                                       f"cache_dir={scratch / 'cache' / pair / method}", "method=warp", "device=cpu",
                                       "detector.upsample=0", *overrides], scratch)
                swapper = build_swapper(cfg)
                first = swapper.swap(cfg.source, clip, output)
                start, cpu = time.perf_counter(), time.process_time()
                cached = swapper.swap(cfg.source, clip, output)
                speed = (cached.frames / (time.perf_counter() - start), first.frames / first.seconds,
                         1000 * (time.process_time() - cpu) / cached.frames)
                rows.append(score(f"{method} {source} -> {target}", output, clip, target_track, *embeddings, detector,
                                  speed))
            rows.append(score(f"no swap ({target})", clip, clip, target_track, *embeddings, detector,
                              (float("nan"),) * 3))
    load = os.getloadavg()[0]
    print(f"{args.frames} frames per clip, 256 px crops, CPU ({torch.get_num_threads()} torch threads, "
          f"{os.cpu_count()} cores, load average {load:.1f})")
    print("| swap | L2 to source | L2 to target | frames closer to source | landmark error (/IOD) | pose error (deg) "
          "| SSIM outside face | flicker | frames/s (cached) | frames/s (first run) | CPU ms/frame (cached) |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r.name} | {r.to_source:.3f} | {r.to_target:.3f} | {100 * r.closer:.0f} % | {r.landmark_error:.4f} "
              f"| {r.pose_error:.2f} | {r.ssim_outside:.4f} | {r.flicker:+.2f} | {r.fps_cached:.1f} | "
              f"{r.fps_first:.1f} | {r.cpu_ms:.0f} |")


if __name__ == "__main__":
    main()

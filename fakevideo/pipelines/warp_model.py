"""The training-free warp swap (`method=warp`) behind the same batched crop interface as the FSGAN models, so
`FaceSwapper` streams, pastes back, labels, watermarks and muxes it exactly as it does FSGAN.

Each target crop takes the source view with the largest pose weight (a still source has one view); warping and
blending run on the host with OpenCV (`fakevideo.video.warp`).
"""

from __future__ import annotations

import numpy as np
import torch

from fakevideo.pipelines.face_models import pick_device
from fakevideo.video.crop import CROP_SCALE, CROP_SIZE
from fakevideo.video.warp import WarpSettings, control_points, delaunay, warp_swap


def _to_uint8(images: torch.Tensor) -> np.ndarray:
    """(B, 3, S, S) in [-1, 1] -> uint8 (B, S, S, 3) on the host."""
    return ((images.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


class WarpFaceModel:
    """Landmark warp + Lab colour match + Poisson blend, at the crop size (no resize, nothing trained)."""

    family = "warp"
    # torch threads while swapping: its torch work (paste-back) is small ops, which a second thread, contending with
    # decoding, encoding and OpenCV, made 3-4x slower (bench/RESULTS.md)
    threads = 1

    def __init__(self, settings: WarpSettings | None = None, crop_size: int = CROP_SIZE,
                 crop_scale: float = CROP_SCALE, device: str = "cpu"):
        self.settings = settings or WarpSettings()
        self.crop_size = self.image_size = crop_size
        self.crop_scale = crop_scale
        self.device = pick_device(device)
        self.checkpoints: dict[str, str] = {}

    @torch.no_grad()
    def swap(self, views: torch.Tensor, owners: torch.Tensor, weights: torch.Tensor, targets: torch.Tensor,
             landmarks: torch.Tensor, view_landmarks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Swapped crops (B, 3, S, S) in [-1, 1] and their face masks (B, 1, S, S), as `FaceSwapModels.swap`;
        `view_landmarks` (N, 68, 2) are the views' own landmarks, which the warp starts from."""
        views_np, targets_np = _to_uint8(views), _to_uint8(targets)
        view_points, target_points = view_landmarks.cpu().numpy(), landmarks.cpu().numpy()
        owners_np, weights_np = owners.cpu().numpy(), weights.cpu().numpy()
        swapped, masks, triangles = [], [], {}
        for b, target in enumerate(targets_np):
            candidates = np.flatnonzero(owners_np == b)
            view = candidates[weights_np[candidates].argmax()]
            key = view_points[view].tobytes()  # a view recurs in a batch (a still source is one view)
            if key not in triangles:
                triangles[key] = delaunay(control_points(view_points[view], self.settings.forehead))
            face, mask = warp_swap(views_np[view], view_points[view], target, target_points[b], self.settings,
                                   triangles[key])
            swapped.append(face)
            masks.append(mask)
        images = torch.from_numpy(np.stack(swapped)).permute(0, 3, 1, 2).float() / 127.5 - 1
        return images.to(targets.device), torch.from_numpy(np.stack(masks))[:, None].float().to(targets.device)

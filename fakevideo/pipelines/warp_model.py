"""The training-free warp swap (`method=warp`) behind the same batched crop interface as the FSGAN models, so
`FaceSwapper` streams, pastes back, labels, watermarks and muxes it exactly as it does FSGAN.

Each target crop takes the source view with the largest pose weight (a still source has one view); warping and
blending run on the host with OpenCV (`fakevideo.video.warp`). Given FSGAN stages (any of segmentation,
completion, blending: `FaceSwapModels.composite`), the warped face stands in for FSGAN's reenactment: completion
fills the target's face region where the warp has no source pixels, and the blending generator replaces the
Poisson blend (which still pastes a completed face when there is no blending model).
"""

from __future__ import annotations

import numpy as np
import torch

from fakevideo.pipelines.face_models import FaceSwapModels, pick_device
from fakevideo.video.crop import CROP_SCALE, CROP_SIZE
from fakevideo.video.warp import WarpSettings, control_points, delaunay, seamless_paste_region, warp_swap

#: the FSGAN roles that can follow the warp (it is the reenactment)
WARP_STAGES = ("segmentation", "completion", "blending")


def _to_uint8(images: torch.Tensor) -> np.ndarray:
    """(B, 3, S, S) in [-1, 1] -> uint8 (B, S, S, 3) on the host."""
    return ((images.float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).cpu().numpy()


def _to_images(images: list[np.ndarray], device: torch.device) -> torch.Tensor:
    """uint8 (S, S, 3) images -> (B, 3, S, S) in [-1, 1] on `device`."""
    return (torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float() / 127.5 - 1).to(device)


class WarpFaceModel:
    """Landmark warp + Lab colour match + Poisson blend, at the crop size (no resize, nothing trained); or the warp
    followed by FSGAN `stages`, at the crops and size those were trained on."""

    def __init__(self, settings: WarpSettings | None = None, crop_size: int = CROP_SIZE,
                 crop_scale: float = CROP_SCALE, device: str = "cpu", stages: FaceSwapModels | None = None):
        self.settings = settings or WarpSettings()
        self.stages = stages
        if stages is None:
            self.crop_size = self.image_size = crop_size
            self.crop_scale = crop_scale
            self.device = pick_device(device)
            self.checkpoints: dict[str, str] = {}
        else:
            self.crop_size, self.crop_scale, self.image_size = stages.crop_size, stages.crop_scale, stages.image_size
            self.device, self.checkpoints = stages.device, stages.checkpoints

    @property
    def family(self) -> str:
        """Provenance label's model family: warp, or warp+fsgan with FSGAN stages."""
        return "warp" if self.stages is None else "warp+fsgan"

    @property
    def threads(self) -> int | None:
        """Torch threads while swapping. The warp alone: 1, as its torch work (paste-back) is small ops, which a
        second thread, contending with decoding, encoding and OpenCV, made 3-4x slower (bench/RESULTS.md); with
        FSGAN stages torch's own, for their convolutions."""
        return 1 if self.stages is None else None

    @torch.no_grad()
    def swap(self, views: torch.Tensor, owners: torch.Tensor, weights: torch.Tensor, targets: torch.Tensor,
             landmarks: torch.Tensor, view_landmarks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Swapped crops (B, 3, S, S) in [-1, 1] and their face masks (B, 1, S, S), as `FaceSwapModels.swap`;
        `view_landmarks` (N, 68, 2) are the views' own landmarks, which the warp starts from."""
        warped, masks = self._warp(views, owners, weights, targets, landmarks, view_landmarks)
        if self.stages is None:
            return warped, masks
        faces, region = self.stages.composite(warped, targets, landmarks, masks)
        if "blending" not in self.stages.tasks:
            pasted = [seamless_paste_region(face, target, mask[0] > 0.5, self.settings.blend_scale)
                      for face, target, mask in zip(_to_uint8(faces), _to_uint8(targets), region.cpu().numpy(),
                                                    strict=True)]
            faces = _to_images(pasted, targets.device)
        return faces, region

    def _warp(self, views: torch.Tensor, owners: torch.Tensor, weights: torch.Tensor, targets: torch.Tensor,
              landmarks: torch.Tensor, view_landmarks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Each target crop with its warped source view and the mask of the warped face: Poisson-blended for the
        warp alone, copied in unblended for the FSGAN stages."""
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
                                   triangles[key], blend=self.stages is None)
            swapped.append(face)
            masks.append(mask)
        return _to_images(swapped, targets.device), torch.from_numpy(np.stack(masks))[:, None].float().to(
            targets.device)

"""The FSGAN recipes with the input conventions of the authors' published v2 networks (fakevideo.models.fsgan_v2).

The published generators were trained on inputs that differ from this project's recipes, so each recipe keeps its
losses and data and only says how its generator input is made (`generator_input`, used in training and swapping):

- reenactment: RGB + one disk per WFLW landmark (98, made from our 68: fakevideo.video.wflw) at two pyramid levels,
  the image halved by OpenCV's pyrDown and the disks drawn anew at each level (ours: 68 Gaussians, one level);
- completion: the face with -1 wherever it has no pixels, and the mask of where the face must be (ours: the face
  zeroed in the holes and the mask of known pixels);
- blending: the face pasted into the target inside the mask, the target and the mask (ours: the face zeroed
  outside the mask).

Segmentation needs no change: the published network takes the same image, and the loader reorders its classes.
"""

from __future__ import annotations

import torch

from fakevideo.models.fsgan_v2 import pyr_down
from fakevideo.tasks.fsgan import BlendingTask, CompletionTask, Prepared, ReenactmentTask
from fakevideo.video.heatmaps import landmark_disks
from fakevideo.video.masks import FACE
from fakevideo.video.wflw import wflw_from_68


class PublishedLayout:
    """Marks a recipe whose generator takes the published v2 inputs (the swap asks it to build them)."""


class ReenactmentV2Task(PublishedLayout, ReenactmentTask):
    input_channels = 3 + 98

    def generator_input(self, images: torch.Tensor, landmarks: torch.Tensor) -> list[torch.Tensor]:
        """Source images (B, 3, S, S) and (B, 68, 2) target landmarks in pixels -> the [full, half] pyramid."""
        normalised = (wflw_from_68(landmarks.float()) + 0.5) / images.shape[-1]
        return [torch.cat([level, landmark_disks(normalised, level.shape[-1]).to(level.dtype)], dim=1)
                for level in (images, pyr_down(images))]

    def prepare(self, batch: dict, rng: torch.Generator | None = None) -> Prepared:
        model_input = self.generator_input(batch["source_image"], batch["target_landmarks"])
        return {"input": model_input, "real": batch["target_image"], "source": batch["source_image"],
                "heatmaps": model_input[0][:, 3:]}


class CompletionV2Task(PublishedLayout, CompletionTask):
    def generator_input(self, faces: torch.Tensor, face_mask: torch.Tensor, covered: torch.Tensor) -> torch.Tensor:
        """Faces valid where `covered`, and where the face must be -> the 4-channel published input."""
        return torch.cat([torch.where(covered > 0.5, faces, -1.0), face_mask], dim=1)

    def prepare(self, batch: dict, rng: torch.Generator | None = None) -> Prepared:
        face, face_mask = batch["target_image"], batch["target_masks"][:, FACE:FACE + 1]
        holes = self.holes(face_mask, rng)
        return {"input": self.generator_input(face, face_mask, face_mask - holes), "real": face, "known": 1 - holes}


class BlendingV2Task(PublishedLayout, BlendingTask):
    def generator_input(self, faces: torch.Tensor, targets: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Faces pasted into the targets inside `mask`, the targets, the mask -> the 7-channel published input."""
        return torch.cat([faces * mask + targets * (1 - mask), targets, mask], dim=1)

    def prepare(self, batch: dict, rng: torch.Generator | None = None) -> Prepared:
        prepared = super().prepare(batch, rng)
        prepared["input"] = self.generator_input(prepared["transferred"], prepared["real"], prepared["mask"])
        return prepared

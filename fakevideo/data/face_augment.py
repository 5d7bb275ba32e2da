"""Keypoint-aware face augmentation with kornia: flips (with the left/right swap of the 68 landmarks),
small similarity jitter and colour jitter, applied alike to image, masks and landmarks, batched on device."""

from __future__ import annotations

import kornia.augmentation as K
import numpy as np
import torch

# iBUG 68-point scheme mirrored: jaw, brows, nose, eyes, outer and inner lips.
_MIRRORED_PAIRS = (
    [(i, 16 - i) for i in range(8)]
    + [(17 + i, 26 - i) for i in range(5)]
    + [(31, 35), (32, 34)]
    + [(36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)]
    + [(48, 54), (49, 53), (50, 52), (55, 59), (56, 58), (60, 64), (61, 63), (65, 67)]
)


def flip_permutation() -> np.ndarray:
    """Index map that relabels landmarks after a horizontal flip (the left eye's corner becomes the right's)."""
    perm = np.arange(68)
    for a, b in _MIRRORED_PAIRS:
        perm[a], perm[b] = b, a
    return perm


FLIP_PERMUTATION = flip_permutation()


class FaceAugmentation(torch.nn.Module):
    """Random flip, rotation/scale/shift and colour jitter of (image [0, 1], one-hot masks, landmarks).

    Landmarks of flipped samples are relabelled with FLIP_PERMUTATION; pixels moved in from outside the image
    are background in the masks.
    """

    def __init__(self, flip: float = 0.5, degrees: float = 10.0, translate: float = 0.05, scale: float = 0.05,
                 color: float = 0.2):
        super().__init__()
        self.sequence = K.AugmentationSequential(
            K.RandomHorizontalFlip(p=flip),
            K.RandomAffine(degrees=degrees, translate=translate, scale=(1 - scale, 1 + scale), p=1.0),
            K.ColorJitter(color, color, color, color / 10, p=0.8),
            data_keys=["input", "mask", "keypoints"],
        )

    def forward(self, image: torch.Tensor, masks: torch.Tensor,
                landmarks: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        image, masks, landmarks = self.sequence(image, masks, landmarks)
        flipped = self.sequence._params[0].data["batch_prob"].bool().to(landmarks.device)
        permutation = torch.as_tensor(FLIP_PERMUTATION, device=landmarks.device)
        landmarks = torch.where(flipped[:, None, None], landmarks[:, permutation], landmarks)
        masks = masks.round()
        masks[:, -1] = 1 - masks[:, :-1].sum(1).clamp(max=1)
        return image.clamp(0, 1), masks, landmarks

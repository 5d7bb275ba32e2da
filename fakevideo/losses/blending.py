"""Differentiable gradient-domain (Poisson) blending loss: the blended face should carry the source face's
image gradients inside the mask and the target frame's outside, so its seam is invisible (Perez et al. 2003);
a Poisson solve is the minimiser of the same objective under L2."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from kornia.filters import spatial_gradient


def guidance_field(source: torch.Tensor, target: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """(B, C, 2, H, W) image gradients: the source's where mask is 1, the target's where it is 0."""
    mask = mask[:, :, None]
    return mask * spatial_gradient(source) + (1 - mask) * spatial_gradient(target)


def gradient_domain_loss(blended: torch.Tensor, source: torch.Tensor, target: torch.Tensor,
                         mask: torch.Tensor) -> torch.Tensor:
    """Mean L1 between the blended image's gradients and the guidance field; (B, 1, H, W) mask in [0, 1]."""
    return F.l1_loss(spatial_gradient(blended), guidance_field(source, target, mask))

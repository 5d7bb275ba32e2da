"""The FSGAN recipes (Nirkin et al. 2019): reenactment, segmentation, completion and blending, each a small
subclass of one face task (`FaceTask`) combined with the shared GAN loop or the supervised one.

Every recipe says how a batch of face pairs becomes its generator input and its reference (`prepare`), which
reconstruction terms it minimises, and which panels its validation sample grid shows (with the landmarks where
the recipe has them, drawn as the data overview draws them). The three image recipes are adversarial (multi-scale
PatchGAN, LSGAN); segmentation is a `SupervisedTask`: one optimiser, so one generator iteration is one Lightning
step.
"""

from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from kornia.geometry.transform import warp_affine
from matplotlib.figure import Figure
from torch import nn

from fakevideo.data.plots import face_grid_figure
from fakevideo.errors import ConfigError
from fakevideo.losses.adversarial import check_adversarial, discriminator_loss, generator_loss
from fakevideo.losses.blending import gradient_domain_loss
from fakevideo.losses.perceptual import PerceptualLoss
from fakevideo.tasks.base import GANTask, SupervisedTask, TrainingTask
from fakevideo.tasks.init_from import StartsFromWeights
from fakevideo.tasks.media import log_figure
from fakevideo.video.heatmaps import landmark_heatmaps
from fakevideo.video.masks import FACE

Prepared = dict[str, torch.Tensor]
#: a sample-grid column: (B, 3, H, W) images in [-1, 1] and their (B, 68, 2) landmarks in pixels, or None
Panel = tuple[torch.Tensor, torch.Tensor | None]
# Face, hair, background colours of segmentation panels, in [-1, 1].
CLASS_COLOURS = torch.tensor([[1.0, 0.6, -0.2], [-0.4, -0.6, 1.0], [-1.0, -1.0, -1.0]])


def fit_affine(source: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Least-squares (B, 2, 3) affine maps taking (B, N, 2) source points onto target points."""
    ones = torch.ones_like(source[..., :1])
    solution = torch.linalg.lstsq(torch.cat([source, ones], -1), target).solution  # (B, 3, 2)
    return solution.transpose(1, 2)


def gray(x: torch.Tensor) -> torch.Tensor:
    """(B, 1, H, W) in [0, 1] as a 3-channel panel in [-1, 1]."""
    return (x.clamp(0, 1) * 2 - 1).expand(-1, 3, -1, -1)


class FaceTask(StartsFromWeights, TrainingTask):
    """What every FSGAN recipe shares: a generator with a fixed input layout, `prepare`d batches, validation
    that logs the reconstruction terms and writes a PNG grid of samples."""

    best_metric = ("val/l1", "min")

    #: the face pairs the recipe trains on: same_video (source and target from one clip) | cross_identity
    data_needs = {"pairing": "same_video"}
    input_channels = 3

    def __init__(self, generator: nn.Module, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if generator.in_channels != self.input_channels:
            raise ConfigError(f"model.generator.in_channels={generator.in_channels}: the {type(self).__name__} "
                              f"generator takes {self.input_channels} channels")
        self.generator = generator

    @property
    def pairing(self) -> str:
        return self.data_needs["pairing"]

    # -- what a recipe provides ------------------------------------------------------------------------
    def prepare(self, batch: dict, rng: torch.Generator | None = None) -> Prepared:
        """Generator `input`, reference and any masks from a batch of face pairs (images in [-1, 1])."""
        raise NotImplementedError

    def reconstruction_terms(self, output: torch.Tensor, prepared: Prepared) -> dict[str, torch.Tensor]:
        """Named, weighted non-adversarial loss terms."""
        raise NotImplementedError

    def panels(self, output: torch.Tensor, prepared: Prepared, batch: dict) -> dict[str, Panel]:
        """The sample grid's columns, left to right, by title (`batch`: the validation batch `prepared` came from)."""
        raise NotImplementedError

    def validation_metrics(self, output: torch.Tensor, prepared: Prepared) -> dict[str, torch.Tensor]:
        """What validation logs: the reconstruction terms, and whatever a recipe adds."""
        return self.reconstruction_terms(output, prepared)

    def generator_parameters(self):
        return self.generator.parameters()

    # -- validation -------------------------------------------------------------------------------------
    def validation_step(self, batch: dict, index: int) -> None:
        rng = torch.Generator().manual_seed(index)
        prepared = self.prepare(batch, rng)
        output = self.generator(prepared["input"])
        metrics = self.validation_metrics(output, prepared)
        self.log_dict({f"val/{name}": value for name, value in metrics.items()}, on_epoch=True,
                      batch_size=output.shape[0])
        if index == 0 and self.trainer.is_global_zero and not self.trainer.sanity_checking:
            self.write_samples(output, prepared, batch)

    def sample_figure(self, output: torch.Tensor, prepared: Prepared, batch: dict) -> Figure:
        """One row per sample, one column per panel, landmarks drawn where the recipe gives them."""
        panels = self.panels(output, prepared, batch)
        rows = [[(((images[i].float().clamp(-1, 1) + 1) / 2).cpu().numpy(),
                  None if landmarks is None else landmarks[i].float().cpu().numpy(), None)
                 for images, landmarks in panels.values()] for i in range(output.shape[0])]
        return face_grid_figure(rows, list(panels))

    def write_samples(self, output: torch.Tensor, prepared: Prepared, batch: dict) -> Path:
        """`<run_dir>/samples/iter_XXXXXXX/<model>.png` (`sample_figure`); logged to the dashboards too."""
        figure = self.sample_figure(output, prepared, batch)
        folder = Path(self.trainer.default_root_dir) / "samples" / f"iter_{self.iteration:07d}"
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{self.model_name}.png"
        figure.savefig(path, dpi=100)
        log_figure(self.loggers, f"val/{self.model_name}", figure, self.global_step)
        return path


class AdversarialFaceTask(FaceTask, GANTask):
    """An image recipe: generator + multi-scale critic, 0.1 L1 + VGG perceptual + weighted GAN loss."""

    default_loss = {"adversarial": "lsgan", "gan": 0.001, "pixel": 0.1, "perceptual": 1.0}

    def __init__(self, generator: nn.Module, discriminator: nn.Module, perceptual: PerceptualLoss | None = None,
                 loss: dict | None = None, **kwargs):
        super().__init__(generator, **kwargs)
        self.discriminator, self.perceptual = discriminator, perceptual
        self.loss = {**self.default_loss, **(loss or {})}
        check_adversarial(self.loss["adversarial"])
        if self.loss["perceptual"] > 0 and perceptual is None:
            raise ConfigError("model.perceptual is null but model.loss.perceptual > 0: configure the VGG-19 "
                              "perceptual loss or set model.loss.perceptual=0")

    def discriminator_parameters(self):
        return self.discriminator.parameters()

    def adversarial_terms(self, scores: list[torch.Tensor], fake_scores: list[torch.Tensor] | None) -> torch.Tensor:
        """Critic loss (real and fake scores given) or generator loss (fake only), averaged over scales."""
        kind = self.loss["adversarial"]
        if fake_scores is None:
            return sum(generator_loss(kind, s) for s in scores) / len(scores)
        return sum(discriminator_loss(kind, r, f) for r, f in zip(scores, fake_scores, strict=True)) / len(scores)

    def discriminator_losses(self, batch) -> dict[str, torch.Tensor]:
        prepared = self.prepare(batch)
        with torch.no_grad():
            fake = self.generator(prepared["input"])
        return {"adv": self.adversarial_terms(self.discriminator(prepared["real"]), self.discriminator(fake))}

    def generator_losses(self, batch) -> dict[str, torch.Tensor]:
        prepared = self.prepare(batch)
        fake = self.generator(prepared["input"])
        adversarial = self.loss["gan"] * self.adversarial_terms(self.discriminator(fake), None)
        return {"adv": adversarial, **self.reconstruction_terms(fake, prepared)}

    def image_terms(self, output: torch.Tensor, reference: torch.Tensor) -> dict[str, torch.Tensor]:
        """0.1 L1 + perceptual between output and reference (the pix2pixHD/FSGAN reconstruction loss)."""
        terms = {"l1": self.loss["pixel"] * F.l1_loss(output, reference)}
        if self.loss["perceptual"] > 0:
            terms["perceptual"] = self.loss["perceptual"] * self.perceptual(output, reference)
        return terms


class ReenactmentTask(AdversarialFaceTask):
    """Source face + the target's 68 landmark heatmaps -> the source identity in the target's pose and expression.
    Pairs come from one video, so the target frame is the ground truth."""

    input_channels = 3 + 68

    def __init__(self, *args, heatmap_sigma: float = 0.008, **kwargs):
        super().__init__(*args, **kwargs)
        self.heatmap_sigma = heatmap_sigma

    def heatmaps(self, landmarks: torch.Tensor, size: int) -> torch.Tensor:
        """Landmark heatmaps with a width of `heatmap_sigma` x image side (2 px at 256 px)."""
        return landmark_heatmaps(landmarks, (size, size), sigma=max(self.heatmap_sigma * size, 0.5))

    def prepare(self, batch: dict, rng: torch.Generator | None = None) -> Prepared:
        target = batch["target_image"]
        heatmaps = self.heatmaps(batch["target_landmarks"], target.shape[-1])
        return {"input": torch.cat([batch["source_image"], heatmaps.to(target.dtype)], dim=1),
                "real": target, "source": batch["source_image"], "heatmaps": heatmaps}

    def reconstruction_terms(self, output, prepared):
        return self.image_terms(output, prepared["real"])

    def panels(self, output, prepared, batch):
        pose, landmarks = prepared["heatmaps"].amax(dim=1, keepdim=True), batch["target_landmarks"]
        return {"source": (prepared["source"], batch["source_landmarks"]), "driving": (gray(pose), landmarks),
                "output": (output, landmarks), "target": (prepared["real"], landmarks)}


class CompletionTask(AdversarialFaceTask):
    """Face with holes + the mask of known pixels (4 channels) -> the completed face. Holes are random boxes
    intersected with the face region, standing in for the parts a reenacted face does not cover."""

    input_channels = 4

    def __init__(self, *args, hole_size: tuple[float, float] = (0.25, 0.5), **kwargs):
        super().__init__(*args, **kwargs)
        self.hole_size = tuple(hole_size)

    def holes(self, face: torch.Tensor, rng: torch.Generator | None) -> torch.Tensor:
        """(B, 1, H, W) face pixels inside one random box per sample (box sides a fraction of the image)."""
        batch, _, height, width = face.shape
        low, high = self.hole_size
        sides = low + (high - low) * torch.rand(batch, 2, generator=rng)
        centres = 0.25 + 0.5 * torch.rand(batch, 2, generator=rng)
        lo, hi = (centres - sides / 2).to(face.device), (centres + sides / 2).to(face.device)
        ys = (torch.arange(height, device=face.device) + 0.5) / height
        xs = (torch.arange(width, device=face.device) + 0.5) / width
        inside_y = (ys >= lo[:, 1, None]) & (ys < hi[:, 1, None])
        inside_x = (xs >= lo[:, 0, None]) & (xs < hi[:, 0, None])
        box = (inside_y[:, :, None] & inside_x[:, None, :])[:, None]
        return face * box.to(face.dtype)

    def prepare(self, batch: dict, rng: torch.Generator | None = None) -> Prepared:
        face = batch["target_image"]
        known = 1 - self.holes(batch["target_masks"][:, FACE:FACE + 1], rng)
        return {"input": torch.cat([face * known, known], dim=1), "real": face, "known": known}

    def reconstruction_terms(self, output, prepared):
        return self.image_terms(output, prepared["real"])

    def panels(self, output, prepared, batch):
        return {"with holes": (prepared["input"][:, :3], None), "output": (output, None),
                "target": (prepared["real"], None)}


class BlendingTask(AdversarialFaceTask):
    """Transferred face + target frame + mask (7 channels) -> the face blended seamlessly into the target.

    Pairs come from different identities; the source face is moved onto the target's landmarks by a
    least-squares affine map. Losses: the gradient-domain (Poisson) loss, 0.1 L1 to the target outside the
    mask (the Poisson boundary condition), perceptual to the naive cut-and-paste, GAN 0.1.
    """

    data_needs = {"pairing": "cross_identity"}
    input_channels = 7
    default_loss = {**AdversarialFaceTask.default_loss, "gan": 0.1, "poisson": 1.0}

    def prepare(self, batch: dict, rng: torch.Generator | None = None) -> Prepared:
        source, target = batch["source_image"], batch["target_image"]
        size = target.shape[-2:]
        affine = fit_affine(batch["source_landmarks"].float(), batch["target_landmarks"].float()).to(source.dtype)
        transferred = warp_affine(source, affine, size, padding_mode="border")
        moved_face = warp_affine(batch["source_masks"][:, FACE:FACE + 1], affine, size)
        mask = moved_face * batch["target_masks"][:, FACE:FACE + 1]
        return {"input": torch.cat([transferred * mask, target, mask], dim=1), "real": target,
                "transferred": transferred, "mask": mask}

    def reconstruction_terms(self, output, prepared):
        transferred, target, mask = prepared["transferred"], prepared["real"], prepared["mask"]
        pasted = mask * transferred + (1 - mask) * target
        terms = self.image_terms(output, pasted)
        terms["l1"] = self.loss["pixel"] * F.l1_loss(output * (1 - mask), target * (1 - mask))
        terms["poisson"] = self.loss["poisson"] * gradient_domain_loss(output, transferred, target, mask)
        return terms

    def panels(self, output, prepared, batch):
        return {"transferred": (prepared["input"][:, :3], None), "target": (prepared["real"], None),
                "output": (output, None)}


class SegmentationTask(FaceTask, SupervisedTask):
    """Face crop -> face / hair / background logits, trained with cross-entropy against the landmark-derived
    masks. One optimiser and no critic: one generator iteration is one Lightning step."""

    best_metric = ("val/ce", "min")

    def prepare(self, batch: dict, rng: torch.Generator | None = None) -> Prepared:
        return {"input": batch["target_image"], "labels": batch["target_masks"].argmax(dim=1)}

    def generator_losses(self, batch) -> dict[str, torch.Tensor]:
        prepared = self.prepare(batch)
        return self.reconstruction_terms(self.generator(prepared["input"]), prepared)

    def reconstruction_terms(self, output, prepared):
        return {"ce": F.cross_entropy(output, prepared["labels"])}

    def validation_metrics(self, output, prepared):
        accuracy = (output.argmax(1) == prepared["labels"]).float().mean()
        return {**self.reconstruction_terms(output, prepared), "accuracy": accuracy}

    def panels(self, output, prepared, batch):
        colours = CLASS_COLOURS.to(output.device)
        paint = lambda labels: colours[labels].permute(0, 3, 1, 2)  # noqa: E731
        return {"input": (prepared["input"], None), "output": (paint(output.argmax(1)), None),
                "target": (paint(prepared["labels"]), None)}

"""The mean/variance baseline every voice-conversion model must beat: per speaker and per MCEP dimension,
c'_d = (c_d - mu_src,d) / sigma_src,d * sigma_trg,d + mu_trg,d (c0, the energy, kept from the source), plus the
log-F0 Gaussian transform every model uses. Its "training" is the corpus statistics the datamodule already
computes, so it runs through the same trainer, checkpoints, converter and evaluation as the GANs."""

from __future__ import annotations

import torch

from fakevideo.errors import ConfigError
from fakevideo.tasks.vc import VoiceConversionTask


class MeanVarianceTask(VoiceConversionTask):
    """No network and no optimiser: the conversion is the closed form on the training split's statistics.

    Training consumes `iterations` batches doing nothing (Lightning counts steps by optimiser updates, and there
    are none, so the task stops the trainer itself), then validates once; `keep_c0` keeps the source's energy,
    and no level following (`level_margin_db`) is applied by default: the closed form is the baseline.

    `smooth_from=k` (the `baseline_smooth` reference) maps only c0..c(k-1) and sets every higher cepstrum to the
    target speaker's mean: a smoothed envelope with no fine structure of either speaker. MCD rewards such smoothing
    (it measures squared distance to one utterance, and the source's fine structure, scaled, is further from the
    target's than the target's mean is), so this no-learning reference says how much of a model's MCD gain a low-pass
    envelope alone would give.
    """

    def __init__(self, iterations: int = 1, keep_c0: bool = True, level_margin_db: float | None = None,
                 smooth_from: int | None = None, **validation):
        super().__init__(optimizer_g=None, optimizer_d=None, iterations=iterations, level_margin_db=level_margin_db,
                         **validation)
        if smooth_from is not None and smooth_from < 1:
            raise ConfigError(f"model.smooth_from={smooth_from}: the first cepstrum set to the target's mean (>= 1)")
        self.keep_c0, self.smooth_from = keep_c0, smooth_from

    @property
    def steps_per_iteration(self) -> int:
        return 1

    def configure_optimizers(self):
        return None

    def generator_parameters(self):
        return []

    def discriminator_parameters(self):
        return []

    def training_step(self, batch, batch_idx: int) -> None:
        if batch_idx + 1 >= self.iterations:
            self.trainer.should_stop = True

    def convert_normalized(self, mcep: torch.Tensor, source: int, target: int) -> torch.Tensor:
        """Normalised by the source's statistics and denormalised by the target's (convert_features), the identity
        here is the mean/variance mapping; c0 is mapped back to the source's raw value when kept."""
        out = mcep.clone()
        if self.keep_c0:
            src, trg = self.speaker_stats(self.speakers[source]), self.speaker_stats(self.speakers[target])
            raw_c0 = mcep[:, 0] * float(src.mcep_std[0]) + float(src.mcep_mean[0])
            out[:, 0] = (raw_c0 - float(trg.mcep_mean[0])) / float(trg.mcep_std[0])
        if self.smooth_from is not None:
            out[:, self.smooth_from:] = 0.0  # the target's mean, in its normalised units
        return out

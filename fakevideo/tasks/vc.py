"""What every voice-conversion recipe shares on top of the GAN loop: the corpus it was trained on (speakers,
feature settings, statistics, carried in every checkpoint so conversion needs no corpus), and validation that
converts held-out utterances, writes and logs the audio, and measures MCD (against parallel targets), PRDC and
whether the converted voices are closer to the target speakers than to the sources (`speaker_check`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

import numpy as np
import torch
from pytorch_lightning.utilities.rank_zero import rank_zero_warn

from fakevideo.audio.f0 import convert_f0
from fakevideo.audio.figures import envelope_figure
from fakevideo.audio.loudness import follow_level
from fakevideo.audio.world import WorldConfig, synthesize
from fakevideo.data.vc import SpeakerStats
from fakevideo.errors import ConfigError
from fakevideo.losses.adversarial import check_adversarial
from fakevideo.metrics.mcd import mel_cepstral_distortion, speech_frames
from fakevideo.metrics.prdc import prdc
from fakevideo.provenance import ProvenanceLabel, write_wav
from fakevideo.tasks.base import GANTask
from fakevideo.tasks.media import log_audio, log_figure
from fakevideo.tasks.speaker_check import SpeakerCheck, closeness_warning

PRDC_K = 5


#: loss weights every voice GAN reads; their defaults have one home, conf/model/vc/gan.yaml
VC_LOSS_KEYS = ("adversarial", "gradient_penalty", "cycle", "identity", "identity_until")


def loss_weights(loss: Mapping | None, required: Iterable[str]) -> dict:
    """The configured loss weights, checked: a missing one is a ConfigError naming it, not a KeyError mid-run."""
    weights = dict(loss or {})
    missing = [key for key in required if key not in weights]
    if missing:
        raise ConfigError(f"model.loss.{missing[0]}: missing (the defaults are in conf/model/vc/gan.yaml)")
    check_adversarial(weights["adversarial"])
    return weights


class VoiceConversionTask(GANTask):
    """A GAN recipe over normalised MCEPs. Subclasses say how to convert one utterance between speakers."""

    def __init__(self, *args, samples_to_write: int = 4, speaker_check: bool = True, similarity_weight: float = 10.0,
                 level_margin_db: float | None = 2.0, **kwargs):
        super().__init__(*args, **kwargs)
        self.samples_to_write = samples_to_write
        self.level_margin_db = level_margin_db
        self.speaker_check = SpeakerCheck(similarity_weight) if speaker_check else None

    @property
    def best_metric(self) -> tuple[str, str]:
        """The checkpoint that converts best: by MCD and the speaker-similarity margin when the speaker check is on
        (a loss a fooled critic can minimise says nothing about the voice), else by MCD."""
        return ("val/conversion", "min") if self.speaker_check else ("val/mcd", "min")

    # -- the corpus, as described by VCDataModule.describe() -------------------------------------------
    @property
    def speakers(self) -> list[str]:
        return self.data_info["speakers"]

    @property
    def feature_config(self) -> WorldConfig:
        return WorldConfig(**self.data_info["features"])

    def speaker_stats(self, speaker: str) -> SpeakerStats:
        return SpeakerStats.from_dict(self.data_info["stats"][speaker])

    # -- conversion -------------------------------------------------------------------------------------
    def check_direction(self, source: str, target: str) -> None:
        """Raise ConfigError if this model cannot convert `source` -> `target` (both known speakers). Many-to-many
        models convert every pair; one-to-one families override this."""

    def convert_normalized(self, mcep: torch.Tensor, source: int, target: int) -> torch.Tensor:
        """[B, D, T] normalised MCEPs of `source` -> normalised MCEPs in `target`'s voice."""
        raise NotImplementedError

    def generator_forward(self, batch: dict) -> torch.Tensor:
        """One conversion of a training batch's crops (speaker 0 -> 1): what the cost report counts."""
        return self.convert_normalized(batch["mcep"] if "mcep" in batch else batch["mcep_a"], 0, 1)

    @torch.no_grad()
    def convert_features(self, mcep: np.ndarray, f0: np.ndarray, source: str, target: str):
        """Raw MCEPs [T, D] and F0 of `source` -> raw MCEPs and F0 for `target` (what synthesis takes).

        Every voice model converts here, so here each frame's loudness is held within `level_margin_db` of the source's,
        mapped to the target by the speakers' statistics (`loudness.follow_level`: a generator's frame-to-frame
        level jumps become loud clicks in WORLD synthesis); None leaves the model's output as it is."""
        src_stats, trg_stats = self.speaker_stats(source), self.speaker_stats(target)
        normalized = src_stats.normalize(mcep)
        x = torch.from_numpy(normalized.T.astype(np.float32))[None].to(self.device)
        y = self.convert_normalized(x, self.speakers.index(source), self.speakers.index(target))
        converted = trg_stats.denormalize(y[0].float().cpu().numpy().T)
        if self.level_margin_db is not None:
            converted = follow_level(converted, trg_stats.denormalize(normalized), self.feature_config,
                                     self.level_margin_db)
        return converted.astype(np.float32), convert_f0(f0, src_stats.logf0, trg_stats.logf0)

    def evaluate(self, datamodule, out_dir, references: bool = True, **options) -> dict:
        """Test-split metrics; with `references`, also of the unconverted source and the mean/variance baseline,
        and whether this model beats them."""
        from fakevideo.evaluation.references import evaluate_with_references
        from fakevideo.evaluation.voice import evaluate_conversions

        self.eval()
        return (evaluate_with_references if references else evaluate_conversions)(self, datamodule, out_dir, **options)

    # -- validation -------------------------------------------------------------------------------------
    def validation_step(self, item: dict, index: int) -> None:
        source, target = self.speakers[item["speaker"]], self.speakers[item["target"]]
        src_mcep = self.speaker_stats(source).denormalize(item["mcep"].cpu().numpy().T)
        mcep, f0 = self.convert_features(src_mcep, item["f0"].cpu().numpy(), source, target)
        if item.get("target_mcep") is not None:
            reference = item["target_mcep"].cpu().numpy()
            self._val_mcd.append(mel_cepstral_distortion(mcep, reference))
            self.log("val/mcd", self._val_mcd[-1], on_epoch=True, batch_size=1, sync_dist=True)
            self._val_pairs.append((mcep, reference))
        if self.trainer.sanity_checking:
            return
        cfg = self.feature_config
        audio = synthesize(f0, mcep, item["ap"].cpu().numpy(), cfg)
        if self.speaker_check is not None:
            self.speaker_check.add(audio, cfg.sample_rate, source, target)
        if index < self.samples_to_write and self.trainer.is_global_zero:
            self._write_sample(item, src_mcep, mcep, f0, audio, source, target)

    def on_validation_epoch_start(self) -> None:
        self._val_pairs: list[tuple[np.ndarray, np.ndarray]] = []
        self._val_mcd: list[float] = []
        if self.speaker_check is not None and not self.trainer.sanity_checking:
            self.speaker_check.start(self.trainer.datamodule)

    def on_validation_epoch_end(self) -> None:
        """Precision / recall / density / coverage of converted vs real target speech frames (MCEPs c1..cD),
        so `optimized_metric=val/density` (or coverage...) can pick the best checkpoint as MCD does; then the
        speaker check's metrics, with a warning when most converted utterances stay closer to the source."""
        if self.speaker_check is not None and self.speaker_check.similarities:
            check = self.speaker_check.summary(float(np.mean(self._val_mcd)) if self._val_mcd else None)
            self.log_dict(check, sync_dist=True)
            total = len(self.speaker_check.similarities)
            closer_to_source = total - round(check["val/closer_to_target"] * total)
            if 2 * closer_to_source > total:
                rank_zero_warn(closeness_warning(closer_to_source, total, check["val/speaker_similarity_target"],
                                                 check["val/speaker_similarity_source"]))
        if not self._val_pairs:
            return
        fake = np.concatenate([m[speech_frames(m), 1:] for m, _ in self._val_pairs])
        real = np.concatenate([r[speech_frames(r), 1:] for _, r in self._val_pairs])
        if min(len(fake), len(real)) > PRDC_K:
            self.log_dict({f"val/{k}": v for k, v in prdc(real, fake, PRDC_K).items()}, sync_dist=True)

    def _write_sample(self, item: dict, src_mcep, mcep, f0, audio, source: str, target: str) -> None:
        cfg = self.feature_config
        name = f"{item['utt_id']}_{source}_to_{target}"
        folder = Path(self.trainer.default_root_dir) / "samples" / f"iter_{self.iteration:07d}"
        label = ProvenanceLabel(self.model_name, extra={"source_speaker": source, "target_speaker": target,
                                                        "iteration": self.iteration, "utterance": item["utt_id"]})
        write_wav(folder / f"{name}.wav", audio, cfg.sample_rate, label)
        log_audio(self.loggers, f"val/{name}", audio, cfg.sample_rate, self.global_step,
                  caption=f"{source} -> {target}")
        panels = {f"source {source}": (src_mcep, item["f0"].cpu().numpy()), f"converted -> {target}": (mcep, f0)}
        if item.get("target_mcep") is not None:
            panels[f"real {target}, same sentence"] = (item["target_mcep"].cpu().numpy(), None)
        figure = envelope_figure(panels, cfg)
        figure.savefig(folder / f"{name}.png")
        log_figure(self.loggers, f"val_envelope/{name}", figure, self.global_step)

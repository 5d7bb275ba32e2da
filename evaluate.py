"""Evaluate a trained voice-conversion checkpoint on its test split:
`python evaluate.py ckpt=RUN/checkpoints/last.ckpt [out=DIR] [data.root=DIR]` -> metrics.json, CSV, markdown."""

from pathlib import Path

import hydra
from omegaconf import DictConfig, OmegaConf

from fakevideo.errors import exit_on_user_error
from fakevideo.tasks.vc import VoiceConversionTask
from fakevideo.training.checkpoints import load_task
from fakevideo.training.stored_config import build_stored, check_stored_config, machine_local_data_config


@hydra.main(version_base="1.3", config_path="conf", config_name="evaluate")
@exit_on_user_error
def main(cfg: DictConfig) -> None:
    task = load_task(cfg.ckpt, VoiceConversionTask)
    # The checkpoint's data settings (speakers, features, split) with this machine's paths and worker counts,
    # then the command line's overrides; built only if every _target_ is one the project names.
    stored = machine_local_data_config(task.run_config.get("data") or {})
    check_stored_config(stored, "data", cfg.ckpt)  # before OmegaConf could resolve anything in it
    data_cfg = OmegaConf.to_container(OmegaConf.merge(stored, cfg.data or {}), resolve=True)
    datamodule = build_stored(data_cfg, "data", cfg.ckpt)
    datamodule.setup()
    out = Path(cfg.out or Path(cfg.ckpt).parent.parent / "eval")
    result = task.evaluate(datamodule, out, references=cfg.references, speaker_similarity=cfg.speaker_similarity,
                           prdc_k=cfg.prdc_k, prdc_frames=cfg.prdc_frames)
    print((out / "pairs.md").read_text())
    print("overall:", {k: round(v, 4) for k, v in result["overall"].items()})
    print(f"wrote {out}/metrics.json, per_utterance.csv, pairs.md")


if __name__ == "__main__":
    main()

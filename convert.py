"""Convert speech with a trained checkpoint:
`python convert.py ckpt=RUN/checkpoints/last.ckpt src_spk=a trg_spk=b input=FILE_OR_DIR output=DIR`."""

import hydra
from omegaconf import DictConfig

from fakevideo.errors import exit_on_user_error
from fakevideo.pipelines.convert import VoiceConverter, convert_paths


@hydra.main(version_base="1.3", config_path="conf", config_name="convert")
@exit_on_user_error
def main(cfg: DictConfig) -> None:
    converter = VoiceConverter.from_checkpoint(cfg.ckpt, cfg.device, cfg.f0_method, cfg.duration)
    written = convert_paths(converter, cfg.input, cfg.output, cfg.src_spk, cfg.trg_spk, cfg.watermark,
                            cfg.workers)
    print(f"wrote {len(written)} converted file(s) to {cfg.output}")


if __name__ == "__main__":
    main()

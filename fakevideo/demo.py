"""`make demo`: the whole voice path on the built-in demo corpus, on CPU, in minutes.

Synthesises the demo corpus, extracts WORLD features, trains a small StarGAN-VC through the same trainer as
every model, converts the held-out sentences of one speaker into another's voice, and prints where it all is.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from fakevideo.config import compose
from fakevideo.errors import exit_on_user_error
from fakevideo.pipelines.convert import VoiceConverter, convert_paths
from fakevideo.training.run import train


@exit_on_user_error
def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("outputs/demo"))
    parser.add_argument("--iterations", type=int, default=1000)
    parser.add_argument("overrides", nargs="*", help="extra train.py overrides, e.g. model=stargan_vc2")
    args = parser.parse_args(argv)
    run_dir = args.out / "train"
    cfg = compose("train", ["size=tiny", "data.crop_frames=64", f"iterations={args.iterations}", "validate_every=500",
                            "checkpoint_every=500", *args.overrides], run_dir)
    train(cfg)
    checkpoint = run_dir / "checkpoints" / "last.ckpt"
    converter = VoiceConverter.from_checkpoint(checkpoint)
    source, target = converter.speakers[0], converter.speakers[-1]
    corpus = Path(cfg.data.root or cfg.data.demo_dir)
    test_ids = converter.task.data_info["test_ids"]
    inputs = args.out / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    for utt_id in test_ids:
        link = inputs / f"{utt_id}.wav"
        if not link.exists():
            link.symlink_to((corpus / source / f"{utt_id}.wav").absolute())
    written = convert_paths(converter, inputs, args.out / "converted", source, target)
    print("\nfakevideo demo finished")
    print(f"  run directory      {run_dir}  (config.yaml, csv/metrics.csv, checkpoints/)")
    print(f"  data-length plot   {run_dir / 'data_lengths.png'}")
    print(f"  validation samples {run_dir / 'samples'}  (wav + MCEP images per validation)")
    print(f"  test-split metrics {run_dir / 'eval' / 'pairs.md'}  (MCD, F0, MSD, PRDC, speaker similarity)")
    print(f"  converted {source} -> {target}: {len(written)} wavs in {args.out / 'converted'}")


if __name__ == "__main__":
    main()

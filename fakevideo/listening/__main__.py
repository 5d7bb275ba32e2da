"""Command line: `build` a blinded listening-test page, `score` the answers listeners send back.

`python -m fakevideo.listening RUN_DIR` (no sub-command) means `build RUN_DIR`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from fakevideo.errors import exit_on_user_error
from fakevideo.listening.build import build_listening_test
from fakevideo.listening.score import markdown_table, score

COMMANDS = ("build", "score", "-h", "--help")


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m fakevideo.listening", description=__doc__)
    commands = root.add_subparsers(dest="command", required=True)
    build = commands.add_parser("build", help="write listening_test.html and key.json from a run or multirun dir")
    build.add_argument("path", type=Path, help="a training run directory or a multirun sweep directory")
    build.add_argument("--out", type=Path, help="output folder (default: PATH/listening)")
    build.add_argument("--questions", type=int, default=10, help="number of questions (default 10)")
    build.add_argument("--seed", type=int, default=0, help="seed of question choice and blinding (default 0)")
    build.add_argument("--source-dir", type=Path,
                       help="corpus <dir>/<speaker>/<utt>.wav for source and target references "
                            "(default: data.root or data.demo_dir of the run's config.yaml)")
    build.add_argument("--max-systems", type=int, default=6,
                       help="single run: compare at most this many iterations, evenly spaced (default 6)")
    scoring = commands.add_parser("score", help="unblind answer files and print mean rank and MOS per system")
    scoring.add_argument("key", type=Path, help="the key.json written by build")
    scoring.add_argument("answers", type=Path, nargs="+", help="answer files exported by the page (JSON or CSV)")
    scoring.add_argument("--out", type=Path, help="folder for scores.csv and ratings.csv (default: beside the key)")
    return root


@exit_on_user_error
def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] not in COMMANDS:
        argv.insert(0, "build")
    args = parser().parse_args(argv)
    if args.command == "build":
        page, key = build_listening_test(args.path, args.out, args.questions, args.seed, args.source_dir,
                                         args.max_systems)
        print(f"wrote {page} (send this to listeners)\nwrote {key} (keep it: it unblinds the answers)")
    else:
        print(markdown_table(score(args.key, args.answers, args.out)))
        print(f"\nwrote scores.csv and ratings.csv in {args.out or args.key.parent}")


if __name__ == "__main__":
    main()

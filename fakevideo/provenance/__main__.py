"""`python -m fakevideo.provenance check FILE`: print label and watermark; exit 0 if either is found."""

from __future__ import annotations

import argparse
import sys

from fakevideo.errors import exit_on_user_error
from fakevideo.provenance.check import CheckResult, check_file
from fakevideo.provenance.spread import DEFAULT_KEY, Detection


def _describe(found: Detection | None) -> str:
    if found is None:
        return "not checked (no usable frames or sample rate below 16 kHz)"
    verdict = "present" if found.detected else "absent"
    return f"{verdict} (score {found.score:.1f}, threshold {found.threshold:.1f})"


def format_result(path: str, result: CheckResult) -> str:
    """Human-readable lines: file, label (or 'no label'), watermark presence and score (and a video's audio)."""
    label = result.label.to_json() if result.label is not None else "no label"
    lines = [path, f"  label: {label}", f"  watermark: {_describe(result.watermark)}"]
    if result.audio_watermark is not None:
        lines.append(f"  audio watermark: {_describe(result.audio_watermark)}")
    return "\n".join(lines)


@exit_on_user_error
def main(argv: list[str] | None = None) -> int:
    """Parse arguments and run the requested command; returns the process exit status."""
    parser = argparse.ArgumentParser(prog="python -m fakevideo.provenance", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    check = commands.add_parser("check", help="report provenance label and watermark of a .wav or video file")
    check.add_argument("file")
    check.add_argument("--key", default=DEFAULT_KEY, help="watermark key (default: the public fakevideo key)")
    args = parser.parse_args(argv)
    result = check_file(args.file, args.key)
    print(format_result(args.file, result))
    return 0 if result.synthetic else 1


if __name__ == "__main__":
    sys.exit(main())

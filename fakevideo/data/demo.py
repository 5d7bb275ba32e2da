"""The built-in demo corpus: a parallel multi-speaker English corpus synthesised offline.

Four MBROLA diphone voices (recordings of real speakers, so their timbres differ like people's do) and one
espeak-ng formant voice read the same Harvard sentences. Same text for every speaker makes the corpus parallel,
as VCC2018 is; the layout is `<root>/<speaker>/<utt>.wav`, the same as VCTK/VCC and a user's own folder.
Only synthetic voices are used: no real person's voice is in the demo data.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from fakevideo.errors import InputError

# The IEEE 1969 "Harvard" phonetically balanced sentences (lists 1-5), a standard speech-test text.
SENTENCES = (
    "The birch canoe slid on the smooth planks.",
    "Glue the sheet to the dark blue background.",
    "It's easy to tell the depth of a well.",
    "These days a chicken leg is a rare dish.",
    "Rice is often served in round bowls.",
    "The juice of lemons makes fine punch.",
    "The box was thrown beside the parked truck.",
    "The hogs were fed chopped corn and garbage.",
    "Four hours of steady work faced us.",
    "A large size in stockings is hard to sell.",
    "The boy was there when the sun rose.",
    "A rod is used to catch pink salmon.",
    "The source of the huge river is the clear spring.",
    "Kick the ball straight and follow through.",
    "Help the woman get back to her feet.",
    "A pot of tea helps to pass the evening.",
    "Smoky fires lack flame and heat.",
    "The soft cushion broke the man's fall.",
    "The salt breeze came across from the sea.",
    "The girl at the booth sold fifty bonds.",
    "The small pup gnawed a hole in the sock.",
    "The fish twisted and turned on the bent hook.",
    "Press the pants and sew a button on the vest.",
    "The swan dive was far short of perfect.",
    "The beauty of the view stunned the young boy.",
    "Two blue fish swam in the tank.",
    "Her purse was full of useless trash.",
    "The colt reared and threw the tall rider.",
    "It snowed, rained, and hailed the same morning.",
    "Read verse out loud for pleasure.",
    "Hoist the load to your left shoulder.",
    "Take the winding path to reach the lake.",
    "Note closely the size of the gas tank.",
    "Wipe the grease off his dirty face.",
    "Mend the coat before you go out.",
    "The wrist was badly strained and hung limp.",
    "The stray cat gave birth to kittens.",
    "The young girl gave no clear response.",
    "The meal was cooked before the bell rang.",
    "What joy there is in living.",
    "A king ruled the state in the early days.",
    "The ship was torn apart on the sharp reef.",
    "Sickness kept him home the third week.",
    "The wide road shimmered in the hot sun.",
    "The lazy cow lay in the cool grass.",
    "Lift the square stone over the fence.",
    "The rope will bind the seven books at once.",
    "Hop over the fence and plunge in.",
)

# speaker name -> espeak-ng voice. Names say voice and sex so plots and reports read without a key.
SPEAKERS = {
    "us1_f": "mb-us1",
    "us2_m": "mb-us2",
    "us3_m": "mb-us3",
    "en1_m": "mb-en1",
    "ek4_f": "en-us+f4",
}

INSTALL_HINT = (
    "run `make setup`, or install espeak-ng and the MBROLA voices yourself: enable Debian's contrib and non-free "
    "components, then `apt-get install espeak-ng mbrola mbrola-us1 mbrola-us2 mbrola-us3 mbrola-en1`"
)


def _recipe(speakers: dict[str, str], sentences: tuple[str, ...]) -> dict:
    return {"format": 1, "speakers": speakers, "sentences": list(sentences)}


def _speak(voice: str, text: str, out: Path) -> None:
    try:
        result = subprocess.run(["espeak-ng", "-v", voice, "-w", str(out), text], capture_output=True, text=True)
    except FileNotFoundError:
        raise InputError(f"demo corpus: espeak-ng is not installed; {INSTALL_HINT}") from None
    if result.returncode != 0 or not out.is_file() or out.stat().st_size <= 44:
        raise InputError(f"demo corpus: espeak-ng voice {voice!r} is not available; {INSTALL_HINT}")


def build_demo_corpus(root: str | Path, num_sentences: int = len(SENTENCES), speakers: list[str] | None = None,
                      voices: dict[str, str] | None = None) -> Path:
    """Synthesise the demo corpus into `root` (cached: rebuilt only when its recipe changes) and return it.
    `voices` (speaker name -> espeak-ng voice) builds another corpus the same way, e.g. held-out speakers."""
    root = Path(root)
    chosen = dict(voices) if voices else {name: SPEAKERS[name] for name in (speakers or SPEAKERS)}
    recipe = _recipe(chosen, SENTENCES[:num_sentences])
    manifest = root / "corpus.json"
    if manifest.is_file() and json.loads(manifest.read_text()) == recipe:
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=root.parent, prefix=f".{root.name}."))
    try:
        for name, voice in chosen.items():
            (staging / name).mkdir()
            for index, text in enumerate(recipe["sentences"], start=1):
                _speak(voice, text, staging / name / f"harvard_{index:03d}.wav")
        (staging / "corpus.json").write_text(json.dumps(recipe, indent=1))
        if root.exists():
            shutil.rmtree(root)
        os.replace(staging, root)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return root


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path, help="output folder (<root>/<speaker>/<utt>.wav)")
    parser.add_argument("--sentences", type=int, default=len(SENTENCES))
    args = parser.parse_args()
    print(build_demo_corpus(args.root, args.sentences))


if __name__ == "__main__":
    main()

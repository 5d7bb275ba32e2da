"""Conversion quality on held-out speakers within a fixed wall-clock budget: does each VC model beat the
mean/variance baseline, and how soon?

    PYTHONPATH=. python bench/quality.py [--minutes 30] [--cpu] [--size tiny] [--models stargan_vc ...]
                                         [--out DIR] [--results bench/RESULTS.md] [--reuse] [--jobs N]
                                         [--voices NAME=VOICE NAME=VOICE] [OVERRIDE ...]

Builds, offline, a parallel corpus of two espeak-ng voices that no recipe was tuned on (a male and a female formant
voice, not the demo corpus's; `--train` sentences each for training and `--test` for the test split), trains the
baseline and each model with `train.py` for `--minutes` of wall-clock time (Lightning's max_time; one process at a
time), and writes `--out`/quality.md (the table; also into bench/RESULTS.md between the quality markers with
`--results`) and quality_val_mcd.png (validation MCD against wall time, one panel per model, the baseline's as a
line). Test-split numbers are from each run's own end-of-training evaluation (both directions, every test
sentence), with the unconverted source and baseline_smooth as reference rows; "closer to target" counts the test
utterances whose speaker embedding is nearer the target's; bursts per minute and the loudest 5 ms frame over the
median speech frame show what the MCD cannot hear (`fakevideo.metrics.bursts`).
`--voices` builds the corpus from other espeak-ng voices (a tuning pair, kept apart from the held-out one);
`--jobs` trains that many models at once (each with `--threads`), after the baseline has cached the features.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import yaml
from matplotlib.figure import Figure

from fakevideo import zoo
from fakevideo.data.demo import build_demo_corpus
from fakevideo.evaluation.references import BASELINE, SMOOTHED, paired_comparison, read_rows

REPO = Path(__file__).resolve().parent.parent
MODELS = zoo.trained_voice_models()  # every voice GAN in conf/model
# espeak-ng formant voices (the demo corpus uses the MBROLA voices and en-us+f4): a male and a female speaker
HELD_OUT = {"rp_m": "en-gb-x-rp+m3", "us_f": "en-us+f2"}
MARKERS = ("<!-- quality:start -->", "<!-- quality:end -->")
SOURCE = "source"  # the evaluation's reference folder of the unconverted source speech
#: the test-split numbers each row shows, as the evaluation's metrics.json names them
OVERALL_COLUMNS = ("mcd", "f0_rmse", "speaker_similarity_target", "speaker_similarity_source", "bursts_per_minute",
                   "peak_over_speech_db")


def max_time(minutes: float) -> str:
    """Lightning's max_time as DD:HH:MM:SS (a dict from the command line arrives as a DictConfig it rejects)."""
    seconds = round(minutes * 60)
    return f"00:{seconds // 3600:02d}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def train(model: str, corpus: Path, run_dir: Path, args) -> float:
    """One run of train.py within the budget (the baseline needs none); returns its wall seconds."""
    command = [sys.executable, str(REPO / "train.py"), f"model={model}", f"data.root={corpus}",
               f"data.cache_dir={args.out / 'cache'}", f"data.features.f0_method={args.f0_method}",
               f"data.num_test={args.test}", f"data.val_per_speaker={args.val_per_speaker}", f"size={args.size}",
               "trainer=cpu", "trainer.enable_progress_bar=false", "trainer.enable_model_summary=false",
               f"hydra.run.dir={run_dir}", "data.preprocess_workers=1"]
    if model != BASELINE:
        budget = f"max_cpu_minutes={args.minutes}" if args.cpu else f"+trainer.max_time={max_time(args.minutes)}"
        command += [f"iterations={args.iterations}", f"validate_every={args.validate_every}", budget, *args.overrides]
    start = time.perf_counter()
    result = subprocess.run(command, cwd=REPO, capture_output=True, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": str(args.threads), "PYTHONPATH": str(REPO)})
    run_dir.mkdir(parents=True, exist_ok=True)  # a run refused before it starts (a bad override) makes no folder
    (run_dir / "bench.log").write_text(result.stdout + result.stderr)
    if result.returncode != 0:
        raise SystemExit(f"{model}: train.py failed (exit {result.returncode}); see {run_dir / 'bench.log'}")
    return time.perf_counter() - start


def validation_curve(run_dir: Path) -> list[tuple[float, int, float]]:
    """(minutes since training started, iteration, val/mcd) per validation. Training starts when the run writes
    model_size.json; each validation writes samples/iter_<n>/ as it ends, in the order metrics.csv logs val/mcd."""
    with open(run_dir / "csv" / "metrics.csv", newline="") as f:
        mcds = [float(row["val/mcd"]) for row in csv.DictReader(f) if row.get("val/mcd")]
    folders = sorted((run_dir / "samples").glob("iter_*"))
    start = (run_dir / "model_size.json").stat().st_mtime
    return [((folder.stat().st_mtime - start) / 60, int(folder.name.removeprefix("iter_")), mcd)
            for folder, mcd in zip(folders, mcds, strict=False)]


def directions(eval_dir: Path) -> dict[str, dict]:
    """Per conversion direction (`rp_m->us_f`): mean MCD and how many test utterances are closer to the target
    speaker than to the source in speaker embedding (the issue's bar is per direction)."""
    with open(eval_dir / "per_utterance.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    result = {}
    for source, target in sorted({(r["source"], r["target"]) for r in rows}):
        chosen = [r for r in rows if (r["source"], r["target"]) == (source, target)]
        result[f"{source}->{target}"] = {
            "mcd": sum(float(r["mcd"]) for r in chosen) / len(chosen),
            "closer": sum(float(r["speaker_similarity_target"]) > float(r["speaker_similarity_source"])
                          for r in chosen),
            "utterances": len(chosen)}
    return result


def closer_count(per_direction: dict[str, dict]) -> str:
    """Test utterances closer to the target speaker than to the source, over both directions: `closer/total`."""
    return (f"{sum(d['closer'] for d in per_direction.values())}/"
            f"{sum(d['utterances'] for d in per_direction.values())}")


def summarise(model: str, run_dir: Path, baseline_val_mcd: float | None) -> dict:
    result = json.loads((run_dir / "eval" / "metrics.json").read_text())
    cost = json.loads((run_dir / "model_size.json").read_text())
    curve = validation_curve(run_dir)
    beaten = next((minutes for minutes, _, mcd in curve if baseline_val_mcd is not None and mcd < baseline_val_mcd),
                  None)
    per_direction = directions(run_dir / "eval")
    versus = result.get("versus", {})
    return {"model": model, **{k: result["overall"].get(k) for k in OVERALL_COLUMNS},
            "closer": closer_count(per_direction), "directions": per_direction,
            "iterations": result.get("iterations_trained", curve[-1][1] if curve else 0),
            "evaluated_at": result.get("evaluated_iteration"), "beaten_at": beaten, "versus": versus,
            "pairs": result["pairs"], "curve": curve,
            "parameters": cost["generator_parameters"], "gflop": cost["gflop_per_iteration"],
            "weights": None if model == BASELINE else run_config(run_dir)["evaluation"]["weights"]}


def run_config(run_dir: Path) -> dict:
    return yaml.safe_load((run_dir / "config.yaml").read_text())


def reference_row(run_dir: Path, name: str) -> dict:
    """A reference's row (SOURCE: the unconverted speech, or baseline_smooth), from a model run's evaluation (every
    voice evaluation carries both): no training, so no curve or cost; its MCD comparisons with the baselines are
    paired over the same utterances."""
    folder = run_dir / "eval" / "references"
    overall = json.loads((folder / name / "metrics.json").read_text())["overall"]
    own = read_rows(folder / name)
    versus = {other: {"mcd": paired_comparison(own, read_rows(folder / other), "mcd", lower_is_better=True)}
              for other in (BASELINE, SMOOTHED) if other != name}
    per_direction = directions(folder / name)
    return {"model": name, **{k: overall.get(k) for k in OVERALL_COLUMNS}, "closer": closer_count(per_direction),
            "directions": per_direction, "iterations": 0, "beaten_at": None, "versus": versus, "curve": [],
            "parameters": 0, "gflop": 0.0}


def fmt(value, digits: int = 2) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def beaten(row: dict) -> str:
    if row["model"] in (SOURCE, BASELINE, SMOOTHED):
        return "-"
    return "never" if row["beaten_at"] is None else f"{row['beaten_at']:.1f}"


def iterations(row: dict) -> str:
    """Iterations trained, and those of the evaluated weights when they differ (a best checkpoint near the start says
    training did not improve on it)."""
    evaluated = row.get("evaluated_at")
    return f"{row['iterations']}" + ("" if evaluated is None or evaluated == row["iterations"] else f" ({evaluated})")


def compare(versus: dict | None) -> str:
    return f"{versus['difference']:+.2f} ± {versus['ci95']:.2f} ({versus['verdict']})" if versus else "-"


def evaluated_weights(rows: list[dict]) -> str:
    """What the models' test numbers are of: the size preset says (`evaluation.weights` in each run's config)."""
    kinds = {row["weights"] for row in rows if row.get("weights")}
    said = {"best": "the best checkpoint by validation", "last": "the final weights"}
    return "each model evaluated at " + " or ".join(said.get(kind, kind) for kind in sorted(kinds))


def table(rows: list[dict], args) -> str:
    lines = [f"Speakers {' and '.join(f'{k} ({v})' for k, v in args.voices.items())}, {args.train} training "
             f"and {args.test} test sentences each, both directions; size={args.size}, F0 {args.f0_method}, "
             f"{args.minutes:g} min {'of CPU time' if args.cpu else 'wall clock'} per model on {args.threads} "
             f"thread(s); {evaluated_weights(rows)}.", "",
             "| system | MCD (dB) | vs baseline_meanvar MCD (paired, 95% CI) | vs baseline_smooth MCD | F0 RMSE | "
             "sim. target | sim. source | closer to target | bursts / min (loudest frame over speech, dB) | "
             "minutes to beat baseline (val MCD) | iterations (evaluated) | generator params | GFLOP / iteration |",
             "|---|" + "---|" * 12]
    for row in rows:
        compared = [compare(row["versus"].get(name, {}).get("mcd")) for name in (BASELINE, SMOOTHED)]
        lines.append(f"| {row['model']} | {fmt(row['mcd'])} | {' | '.join(compared)} | {fmt(row['f0_rmse'], 1)} | "
                     f"{fmt(row['speaker_similarity_target'], 3)} | {fmt(row['speaker_similarity_source'], 3)} | "
                     f"{row['closer']} | {fmt(row['bursts_per_minute'], 1)} ({fmt(row['peak_over_speech_db'], 1)}) | "
                     f"{beaten(row)} | "
                     f"{iterations(row)} | {row['parameters']} | {row['gflop']:.2f} |")
    names = list(rows[0]["directions"]) if rows else []
    lines += ["", "Per direction (mean MCD, test utterances closer to the target than to the source):", "",
              "| system | " + " | ".join(names) + " |", "|---|" + "---|" * len(names)]
    for row in rows:
        cells = [f"{d['mcd']:.2f}, {d['closer']}/{d['utterances']}" for d in row["directions"].values()]
        lines.append(f"| {row['model']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def plot(rows: list[dict], baseline_val_mcd: float | None, path: Path) -> None:
    models = [row for row in rows if row["model"] not in (SOURCE, BASELINE, SMOOTHED)]
    figure = Figure(figsize=(4 * len(models), 3.2), tight_layout=True)
    for index, row in enumerate(models, start=1):
        axis = figure.add_subplot(1, len(models), index)
        if row["curve"]:
            minutes, _, mcd = zip(*row["curve"], strict=True)
            axis.plot(minutes, mcd, "o-", label=row["model"])
        if baseline_val_mcd is not None:
            axis.axhline(baseline_val_mcd, color="k", linestyle="--", label=BASELINE)
        axis.set(title=row["model"], xlabel="wall minutes", ylabel="validation MCD (dB)")
        axis.legend(fontsize=7)
    figure.savefig(path, dpi=90)


def write_results(text: str, results: Path) -> None:
    """Replace the section between the quality markers of RESULTS.md (appended the first time)."""
    body = results.read_text()
    section = f"{MARKERS[0]}\n{text}{MARKERS[1]}"
    pattern = re.compile(re.escape(MARKERS[0]) + ".*?" + re.escape(MARKERS[1]), re.S)
    body = pattern.sub(lambda _: section, body) if pattern.search(body) else body.rstrip() + "\n\n" + section + "\n"
    results.write_text(body)


def positive_int(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: expected a whole number of at least 1")
    return int(text)


def voice_arg(text: str) -> tuple[str, str]:
    name, _, voice = text.partition("=")
    if not name or not voice:
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME=VOICE, e.g. us_f=en-us+f2")
    return name, voice


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=30.0, help="wall-clock training budget per model")
    parser.add_argument("--cpu", action="store_true",
                        help="count --minutes in CPU time of the training process (train.py max_cpu_minutes): the "
                             "same computation on a busy machine as on an idle one")
    parser.add_argument("--reuse", action="store_true",
                        help="keep the runs of --out that finished (their eval/metrics.json exists): resume a bench")
    parser.add_argument("--models", nargs="+", default=MODELS, choices=MODELS)
    parser.add_argument("--size", default="cpu",
                        help="size preset of the models (cpu: the short-budget recipe; tiny: the papers' recipes)")
    parser.add_argument("--train", type=int, default=30, help="training sentences per speaker")
    parser.add_argument("--test", type=int, default=10, help="test sentences per speaker")
    parser.add_argument("--val-per-speaker", type=int, default=3,
                        help="sentences per speaker for validation (choosing the best checkpoint), apart from both")
    parser.add_argument("--validate-every", type=int, default=25, help="generator iterations")
    parser.add_argument("--iterations", type=int, default=100000, help="upper bound; the budget ends the run")
    parser.add_argument("--f0-method", default="dio", choices=["dio", "harvest"])
    parser.add_argument("--threads", type=int, default=1, help="torch/OpenMP threads of each run")
    parser.add_argument("--out", type=Path, default=REPO / "outputs" / "bench_quality")
    parser.add_argument("--results", type=Path, default=None, help="also write the table into this RESULTS.md")
    parser.add_argument("--voices", nargs=2, metavar="NAME=VOICE", type=voice_arg, default=list(HELD_OUT.items()),
                        help="the two espeak-ng voices of the corpus (default: the held-out pair)")
    parser.add_argument("--jobs", type=positive_int, default=1,
                        help="models trained at once (the baseline runs first)")
    parser.add_argument("overrides", nargs="*", help="train.py overrides for the models (not the baseline)")
    args = parser.parse_args()
    args.out, args.voices = args.out.resolve(), dict(args.voices)
    corpus = build_demo_corpus(args.out / "corpus", num_sentences=args.train + args.val_per_speaker + args.test,
                               voices=args.voices)
    runs = {model: args.out / "runs" / model for model in [BASELINE, *args.models]}

    def run(model: str) -> None:
        run_dir = runs[model]
        if args.reuse and (run_dir / "eval" / "metrics.json").is_file():
            print(f"{model}: reusing {run_dir}", flush=True)
            return
        seconds = train(model, corpus, run_dir, args)
        print(f"{model}: {seconds / 60:.1f} min (training, validation and evaluation)", flush=True)

    run(BASELINE)  # first and alone: it extracts the features every other run then reads from the cache
    with ThreadPoolExecutor(args.jobs) as pool:
        list(pool.map(run, args.models))
    baseline_curve = validation_curve(runs[BASELINE])
    baseline_val_mcd = baseline_curve[0][2] if baseline_curve else None
    baseline, *models = [summarise(model, run_dir, baseline_val_mcd) for model, run_dir in runs.items()]
    references = {name: reference_row(runs[args.models[0]], name) for name in (SOURCE, SMOOTHED)}
    rows = [references[SOURCE], baseline, references[SMOOTHED], *models]
    text = table(rows, args) + "\n![validation MCD against wall time](quality_val_mcd.png)\n"
    (args.out / "quality.md").write_text(text)
    (args.out / "quality.json").write_text(json.dumps(rows, indent=1))
    plot(rows, baseline_val_mcd, args.out / "quality_val_mcd.png")
    print(text)
    if args.results:
        write_results(text, args.results)
        (args.results.parent / "quality_val_mcd.png").write_bytes((args.out / "quality_val_mcd.png").read_bytes())
        print(f"wrote {args.results} and {args.results.parent / 'quality_val_mcd.png'}")


if __name__ == "__main__":
    main()

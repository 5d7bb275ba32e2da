"""Listening-test page built from a fake multirun (labelled sample WAVs, espeak-ng corpus): blinding, determinism,
self-containment, provenance of every embedded clip, and a real headless-chromium round trip through `score`."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import yaml

from fakevideo.errors import InputError
from fakevideo.listening import build_listening_test, score
from fakevideo.listening.__main__ import main
from fakevideo.provenance import ProvenanceLabel, read_wav_label, write_wav

SPEAKERS = {"us1_f": 70, "us2_m": 25}  # espeak-ng pitch per fake speaker
UTTERANCES = ("u1", "u2", "u3", "u4")
PAIRS = [(u, "us1_f", "us2_m") for u in UTTERANCES] + [("u1", "us2_m", "us1_f"), ("u2", "us2_m", "us1_f")]
JOBS = ("data.sample_rate=16000", "data.sample_rate=22050")
CLIP = re.compile(r'<audio controls preload="metadata" src="data:([^;]+);base64,([^"]+)">')


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("listening") / "corpus"
    for speaker, pitch in SPEAKERS.items():
        (root / speaker).mkdir(parents=True)
        for utt in UTTERANCES:
            subprocess.run(["espeak-ng", "-v", "mb-us1", "-p", str(pitch), "-w", str(root / speaker / f"{utt}.wav"),
                            f"This is sentence {utt[1]}."], check=True, capture_output=True)
    return root


def write_samples(run_dir: Path, iteration: int, tone_hz: float, pairs=PAIRS) -> None:
    """Labelled sample WAVs as the VC task writes them, one distinct tone per (system, pair)."""
    for index, (utt, source, target) in enumerate(pairs):
        audio = 0.3 * np.sin(2 * np.pi * (tone_hz + 10 * index) * np.arange(3200) / 16000)
        label = ProvenanceLabel("stargan_vc", extra={"source_speaker": source, "target_speaker": target,
                                                     "iteration": iteration, "utterance": utt})
        write_wav(run_dir / "samples" / f"iter_{iteration:07d}" / f"{utt}_{source}_to_{target}.wav", audio, 16000,
                  label)


def make_run(run_dir: Path, corpus: Path, overrides: list[str]) -> Path:
    (run_dir / ".hydra").mkdir(parents=True)
    (run_dir / ".hydra" / "overrides.yaml").write_text(yaml.safe_dump(overrides))
    (run_dir / "config.yaml").write_text(yaml.safe_dump({"data": {"root": str(corpus), "demo_dir": "data/demo/vc"}}))
    return run_dir


@pytest.fixture(scope="module")
def multirun(tmp_path_factory, corpus) -> Path:
    sweep = tmp_path_factory.mktemp("sweep")
    for number, job in enumerate(JOBS):
        run = make_run(sweep / job, corpus, [job, "iterations=40"])
        write_samples(run, 20, 300 + 200 * number)
        write_samples(run, 40, 400 + 200 * number)  # the latest iteration is the one a job is heard at
    return sweep


def page_clips(html: str) -> list[bytes]:
    return [base64.b64decode(data) for _, data in CLIP.findall(html)]


def build(multirun: Path, out: Path, seed: int = 3, questions: int = 5) -> tuple[str, dict]:
    page, key = build_listening_test(multirun, out, num_questions=questions, seed=seed)
    return page.read_text(), json.loads(key.read_text())


def test_page_plays_what_the_key_says_in_blinded_order(multirun, corpus, tmp_path):
    html, key = build(multirun, tmp_path)
    assert key["systems"] == list(JOBS)
    assert len(key["questions"]) == 5 == html.count('<fieldset class="question"')
    clips = page_clips(html)
    assert len(clips) == 5 * (2 + len(JOBS))
    orders = set()
    for number, question in enumerate(key["questions"]):
        source, reference, *converted = clips[4 * number:4 * number + 4]
        assert source == (corpus / question["source"] / f"{question['utterance']}.wav").read_bytes()
        reference_path = Path(question["reference_clip"])
        assert reference == reference_path.read_bytes()
        assert reference_path.parent.name == question["target"] and reference_path.stem != question["utterance"]
        assert sorted(question["clips"]) == ["A", "B"]
        for letter, data in zip(sorted(question["clips"]), converted, strict=True):
            system = question["clips"][letter]["system"]
            expected = multirun / system / "samples" / "iter_0000040" / \
                f"{question['utterance']}_{question['source']}_to_{question['target']}.wav"
            assert data == expected.read_bytes()
        orders.add(tuple(question["clips"][letter]["system"] for letter in "AB"))
        assert (question["utterance"], question["source"], question["target"]) in PAIRS
    assert orders == {tuple(JOBS), tuple(reversed(JOBS))}  # blinded: letter A is not always the first system
    assert len({q["utterance"] + q["source"] for q in key["questions"]}) == 5  # distinct questions


def test_page_is_self_contained_and_hides_the_key(multirun, tmp_path):
    html, key = build(multirun, tmp_path)
    assert not re.search(r"https?://", html, re.IGNORECASE)
    assert "Content-Security-Policy" in html and "default-src 'none'" in html
    for secret in [*JOBS, "sample_rate", "iter_", "stargan", str(multirun)]:
        assert secret not in html
    assert f'data-survey="{key["survey"]}"' in html


def test_every_converted_clip_in_the_page_keeps_its_synthetic_label(multirun, tmp_path):
    html, _ = build(multirun, tmp_path)
    probe = tmp_path / "probe.wav"
    for index, data in enumerate(page_clips(html)):
        probe.write_bytes(data)
        label = read_wav_label(probe)
        if index % 4 < 2:  # source and reference: the corpus recordings, unlabelled
            assert label is None
        else:
            assert label is not None and label.synthetic and label.model_family == "stargan_vc"


def test_same_seed_same_files_other_seed_other_blinding(multirun, tmp_path):
    html_a, key_a = build(multirun, tmp_path / "a", seed=3)
    html_b, key_b = build(multirun, tmp_path / "b", seed=3)
    assert html_a == html_b and key_a == key_b
    _, key_c = build(multirun, tmp_path / "c", seed=4)
    assignment = lambda key: [(q["utterance"], q["source"], q["clips"]["A"]["system"]) for q in key["questions"]]  # noqa: E731
    assert assignment(key_c) != assignment(key_a)


def test_questions_capped_by_shared_pairs_and_default_out_dir(multirun, tmp_path):
    page, key = build_listening_test(multirun, num_questions=50, seed=0)
    try:
        assert page == multirun / "listening" / "listening_test.html"
        assert len(json.loads(key.read_text())["questions"]) == len(PAIRS)
    finally:
        shutil.rmtree(multirun / "listening")


def test_single_run_compares_evenly_spaced_iterations(corpus, tmp_path):
    run = make_run(tmp_path / "run", corpus, ["iterations=50"])
    for iteration in (10, 20, 30, 40, 50):
        write_samples(run, iteration, 200 + iteration, pairs=PAIRS[:2])
    page, key = build_listening_test(run, tmp_path / "out", num_questions=2, seed=1, max_systems=3)
    assert json.loads(key.read_text())["systems"] == ["iter_0000010", "iter_0000030", "iter_0000050"]
    assert len(page_clips(page.read_text())) == 2 * (2 + 3)


def test_source_dir_overrides_config_and_errors_name_the_fix(multirun, corpus, tmp_path):
    (multirun / JOBS[0] / "config.yaml").rename(tmp_path / "config.yaml")
    try:
        with pytest.raises(InputError, match="pass --source-dir"):
            build_listening_test(multirun, tmp_path / "x")
        page, _ = build_listening_test(multirun, tmp_path / "y", source_dir=corpus, num_questions=1)
        assert page.is_file()
    finally:
        (tmp_path / "config.yaml").rename(multirun / JOBS[0] / "config.yaml")


def test_unlabelled_or_unshared_samples_are_refused(corpus, tmp_path):
    run_a = make_run(tmp_path / "sweep" / "a=1", corpus, ["a=1"])
    run_b = make_run(tmp_path / "sweep" / "a=2", corpus, ["a=2"])
    write_samples(run_a, 10, 300, pairs=PAIRS[:1])
    write_samples(run_b, 10, 500, pairs=PAIRS[1:2])
    with pytest.raises(InputError, match="shared by all systems"):
        build_listening_test(tmp_path / "sweep", tmp_path / "out")
    sf.write(run_b / "samples" / "iter_0000010" / "u1_us1_f_to_us2_m.wav", np.zeros(1600), 16000)
    with pytest.raises(InputError, match="no synthetic provenance label"):
        build_listening_test(tmp_path / "sweep", tmp_path / "out")


def test_cli_build_shorthand_and_score(multirun, tmp_path, capsys):
    main([str(multirun), "--out", str(tmp_path), "--questions", "2", "--seed", "5"])
    assert "key.json" in capsys.readouterr().out
    key = json.loads((tmp_path / "key.json").read_text())
    answers = {"survey": key["survey"], "listener": "x",
               "answers": [{"question": q["id"], "ranks": {"A": 2, "B": 1}, "mos": {"A": 2, "B": 4}}
                           for q in key["questions"]]}
    (tmp_path / "x.json").write_text(json.dumps(answers))
    main(["score", str(tmp_path / "key.json"), str(tmp_path / "x.json")])
    table = capsys.readouterr().out
    assert table.count(" | 2 | ") == 2 and (tmp_path / "scores.csv").is_file()
    with pytest.raises(SystemExit) as exit_info:
        main(["build", str(tmp_path / "missing")])
    assert exit_info.value.code == 2


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def dom_text(dom: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}"[^>]*>(.*?)</', dom, re.DOTALL)
    assert match, f"#{element_id} missing from the rendered page"
    return match.group(1)


@pytest.mark.browser
@pytest.mark.skipif(CHROMIUM is None, reason="Debian chromium not installed (apt-get install chromium)")
def test_browser_round_trip_answers_export_and_score(multirun, tmp_path):
    page, key_path = build_listening_test(multirun, tmp_path / "page", num_questions=6, seed=0)
    result = subprocess.run([CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={tmp_path / 'profile'}",
                             "--virtual-time-budget=5000", "--dump-dom", f"{page.as_uri()}#autofill"],
                            capture_output=True, text=True, timeout=60)
    dom = result.stdout
    assert result.returncode == 0 and "export-json" in dom, result.stderr[-2000:]
    assert dom_text(dom, "problems") == ""
    assert dom_text(dom, "audio-status") == "24 loaded, 0 failed of 24"  # every data-URI clip decodes
    assert re.search(r'id="download-json" href="blob:[^"]+" download="answers-\w+-autofill.json"', dom)
    exported = json.loads(dom_text(dom, "export-json"))
    (tmp_path / "autofill.json").write_text(json.dumps(exported))

    rows = {row["system"]: row for row in score(key_path, [tmp_path / "autofill.json"], tmp_path / "scores")}
    # autofill ranks clips in page order (A=1, B=2) and gives MOS 5, 4: unblind that by hand from the key
    key = json.loads(key_path.read_text())
    for system in JOBS:
        slots = [sorted(q["clips"]).index(letter) for q in key["questions"]
                 for letter, clip in q["clips"].items() if clip["system"] == system]
        assert rows[system]["ratings"] == 6
        assert rows[system]["mean_rank"] == pytest.approx(np.mean(slots) + 1)
        assert rows[system]["mos"] == pytest.approx(5 - np.mean(slots))
    assert rows[JOBS[0]]["mean_rank"] + rows[JOBS[1]]["mean_rank"] == pytest.approx(3)
    assert rows[JOBS[0]]["mean_rank"] not in (1.0, 1.5, 2.0)  # this seed mixes the orders unevenly

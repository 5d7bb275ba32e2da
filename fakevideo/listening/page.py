"""The self-contained survey page: every clip inlined as a data URI, no remote resource, answers exported by the
page itself as JSON and CSV downloads (Blob links). A Content-Security-Policy forbids any network fetch.

Opening the page as `page.html#autofill` fills every answer deterministically (rank = letter order, MOS = 5 - slot
mod 5) and exports at once: the hook the headless-browser test drives, harmless to listeners.
"""

from __future__ import annotations

import base64
import hashlib
import mimetypes
from html import escape
from pathlib import Path

from fakevideo.listening.survey import Question

MIME = {".wav": "audio/wav", ".flac": "audio/flac", ".ogg": "audio/ogg", ".opus": "audio/ogg",
        ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".webm": "audio/webm"}
CSP = ("default-src 'none'; media-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
       "form-action 'none'; base-uri 'none'")

STYLE = """
body { font-family: sans-serif; max-width: 52em; margin: 1em auto; padding: 0 1em; line-height: 1.4; }
fieldset.question { margin: 1.5em 0; border: 1px solid #999; border-radius: 6px; }
.refs { display: grid; grid-template-columns: 14em 1fr; gap: .3em 1em; align-items: center; }
table { border-collapse: collapse; margin-top: .8em; }
td, th { padding: .25em .6em; text-align: left; }
audio { height: 2.2em; }
.notice { background: #fff4d6; border-left: 4px solid #d9a400; padding: .5em 1em; }
#problems { color: #a00; }
#downloads a { margin-right: 1.5em; }
#export-json { white-space: pre-wrap; font-size: .75em; max-height: 12em; overflow: auto; background: #f4f4f4; }
"""

SCRIPT = r"""
"use strict";
function clipRows(question) { return Array.from(question.querySelectorAll("tr.clip")); }

function collect() {
  const problems = [];
  const answers = Array.from(document.querySelectorAll("fieldset.question")).map(function (question) {
    const rows = clipRows(question), ranks = {}, mos = {};
    rows.forEach(function (row) {
      const rank = row.querySelector("select").value;
      const checked = row.querySelector("input[type=radio]:checked");
      if (rank) { ranks[row.dataset.clip] = Number(rank); }
      if (checked) { mos[row.dataset.clip] = Number(checked.value); }
    });
    const given = Object.values(ranks);
    if (given.length < rows.length || Object.keys(mos).length < rows.length) {
      problems.push(question.dataset.title + ": rank and rate every clip");
    } else if (new Set(given).size < given.length) {
      problems.push(question.dataset.title + ": give each clip a different rank");
    }
    return {question: question.dataset.question, ranks: ranks, mos: mos};
  });
  return {answers: answers, problems: problems};
}

function csvField(text) { return "\"" + String(text).replace(/"/g, "\"\"") + "\""; }

function toCsv(result) {
  const lines = ["survey,listener,question,clip,rank,mos"];
  result.answers.forEach(function (answer) {
    Object.keys(answer.ranks).sort().forEach(function (clip) {
      lines.push([result.survey, csvField(result.listener), answer.question, clip,
                  answer.ranks[clip], answer.mos[clip]].join(","));
    });
  });
  return lines.join("\n") + "\n";
}

function offer(id, text, type, name) {
  const link = document.getElementById(id);
  if (link.href) { URL.revokeObjectURL(link.href); }
  link.href = URL.createObjectURL(new Blob([text], {type: type}));
  link.download = name;
  link.hidden = false;
}

function exportAnswers() {
  const survey = document.body.dataset.survey;
  const listener = document.getElementById("listener").value.trim();
  const collected = collect();
  if (!listener) { collected.problems.unshift("Enter your name or a listener code"); }
  document.getElementById("problems").textContent = collected.problems.join("\n");
  if (collected.problems.length) { return; }
  const result = {survey: survey, listener: listener, exported: new Date().toISOString(),
                  answers: collected.answers};
  const json = JSON.stringify(result, null, 1);
  const stem = "answers-" + survey + "-" + listener.replace(/[^A-Za-z0-9_-]+/g, "_");
  offer("download-json", json, "application/json", stem + ".json");
  offer("download-csv", toCsv(result), "text/csv", stem + ".csv");
  document.getElementById("export-json").textContent = json;
}

function autofill() {
  document.getElementById("listener").value = "autofill";
  document.querySelectorAll("fieldset.question").forEach(function (question) {
    clipRows(question).forEach(function (row, slot) {
      row.querySelector("select").value = String(slot + 1);
      row.querySelector("input[type=radio][value='" + (5 - slot % 5) + "']").checked = true;
    });
  });
  exportAnswers();
}

function reportAudio() {
  const players = Array.from(document.querySelectorAll("audio"));
  let loaded = 0, failed = 0;
  const show = function () {
    const status = document.getElementById("audio-status");
    status.textContent = loaded + " loaded, " + failed + " failed of " + players.length;
  };
  players.forEach(function (player) {
    player.addEventListener("loadedmetadata", function () { loaded += 1; show(); });
    player.addEventListener("error", function () { failed += 1; show(); });
    player.load();
  });
}

document.getElementById("export").addEventListener("click", exportAnswers);
if (location.hash === "#autofill") { reportAudio(); autofill(); }
"""


def data_uri(path: Path) -> str:
    """The file's bytes as-is (a labelled WAV keeps its provenance chunk) in a base64 data URI."""
    mime = MIME.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode('ascii')}"


def survey_id(questions: list[Question], seed: int) -> str:
    """A short id tying answer files to this page, from what the page itself shows (so it leaks nothing)."""
    digest = hashlib.sha256(str(seed).encode())
    for q in questions:
        for path in (q.source_clip, q.reference_clip, *(p for _, _, p in q.clips)):
            digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:12]


def _audio(path: Path) -> str:
    return f'<audio controls preload="metadata" src="{data_uri(path)}"></audio>'


def _clip_row(question_id: str, letter: str, path: Path, count: int) -> str:
    options = "".join(f'<option value="{r}">{r}</option>' for r in range(1, count + 1))
    name = f"{question_id}-mos-{letter}"
    radios = "".join(f'<label><input type="radio" name="{name}" value="{m}">{m}</label> ' for m in range(1, 6))
    return (f'<tr class="clip" data-clip="{letter}"><th>{letter}</th><td>{_audio(path)}</td>'
            f'<td><select aria-label="rank of {letter}"><option value="">-</option>{options}</select></td>'
            f"<td>{radios}</td></tr>")


def _question(number: int, total: int, q: Question) -> str:
    title = f"Question {number} of {total}"
    rows = "".join(_clip_row(q.id, letter, path, len(q.clips)) for letter, _, path in q.clips)
    return (f'<fieldset class="question" data-question="{q.id}" data-title="{title}"><legend>{title}</legend>'
            f'<div class="refs"><span>Source (what is said)</span>{_audio(q.source_clip)}'
            f"<span>Target speaker (reference)</span>{_audio(q.reference_clip)}</div>"
            f"<table><tr><th>Clip</th><th></th><th>Rank (1 = most like the target)</th>"
            f"<th>Naturalness (1 bad - 5 excellent)</th></tr>{rows}</table></fieldset>")


def render_page(questions: list[Question], survey: str, title: str) -> str:
    """The whole HTML document; the system behind each letter appears nowhere in it."""
    body = "".join(_question(n, len(questions), q) for n, q in enumerate(questions, start=1))
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title><style>{STYLE}</style></head>
<body data-survey="{survey}">
<h1>{escape(title)}</h1>
<p class="notice">The lettered clips are <strong>synthetic speech made by voice-conversion models</strong>
(AI-generated); each file carries a machine-readable label saying so. The source and reference clips are the
corpus recordings they were made from and compared with.</p>
<p>For each question, listen to the source and to the target speaker's reference, then to every lettered clip.
<strong>Rank</strong> the clips by how much they sound like the target speaker (1 = most alike, each rank once) and
rate each clip's <strong>naturalness</strong> from 1 (bad) to 5 (excellent). The clip order is random and differs
between questions. When done, press <em>Export answers</em> and send the downloaded file back.</p>
<p><label>Your name or listener code: <input id="listener" autocomplete="off"></label></p>
{body}
<p><button id="export" type="button">Export answers</button></p>
<pre id="problems"></pre>
<p id="downloads"><a id="download-json" hidden>Download answers (JSON)</a>
<a id="download-csv" hidden>Download answers (CSV)</a></p>
<p id="audio-status"></p>
<pre id="export-json"></pre>
<script>{SCRIPT}</script>
</body></html>
"""

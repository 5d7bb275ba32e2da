"""Speaking rhythm: per-speaker statistics of speech duration and of voiced and unvoiced segment lengths, and the
time-scaling of a WORLD feature sequence toward another speaker's rhythm (`convert.py duration=global|voiced`).

Speech is the span from the first to the last frame within the speech floor of the utterance's loud level (c0,
`metrics.levels`): the silence a recording or a synthesiser leaves around a sentence is no rhythm. A speaker's rate
is the mean log duration of that span over their utterances: seconds per sentence, which compares speakers when
their sentences are comparable (a parallel corpus such as the demo's or VCC2018's, or many sentences of similar
text). Measures that need no comparable text, such as voiced segments per second, were tried and rejected: F0
trackers voice the same speech differently for different voices (harvest found 1.8 and 2.2 voiced segments per
second in two demo voices whose every sentence lasts the same), so they measure the voice, not its rhythm.
Inside speech, segments are runs of voiced (F0 > 0) or unvoiced frames (unvoiced gaps shorter than MERGE_GAP_MS
count as voiced: tracker dropouts, neither consonants nor pauses), summarised as log-normal lengths, voiced and
unvoiced apart.

`global` stretches the whole utterance by the ratio of the two speakers' speech durations. `voiced` maps each
segment's log length from the source's distribution of its kind to the target's, as log-F0 is mapped, then scales
all of them together so the speech as a whole changes as `global` would: the segment statistics decide how the
time is shared between voiced and unvoiced stretches, the sentence statistics how much there is; the silence
around the speech stays as it is. Each segment is resampled on its own: F0 takes the nearest frame's value (voiced
frames stay voiced, unvoiced F0 stays 0), MCEPs and aperiodicity are interpolated linearly.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from fakevideo.metrics.levels import mcep_level_db, speech_mask

DURATION_MODES = ("keep", "global", "voiced")
#: no segment is squeezed below half or stretched beyond twice its length: WORLD frames repeated or dropped
#: further than that no longer sound like speech
RATIO_LIMITS = (0.5, 2.0)
#: shorter unvoiced gaps inside speech are voicing dropouts of the F0 tracker
MERGE_GAP_MS = 30.0


@dataclass(frozen=True)
class Segment:
    """Frames [start, end) of one voiced or unvoiced run; `speech` is False for the silence before or after the
    speech."""

    start: int
    end: int
    voiced: bool
    speech: bool = True

    @property
    def length(self) -> int:
        return self.end - self.start


def _runs(flags: np.ndarray, offset: int = 0) -> list[tuple[int, int, bool]]:
    edges = np.flatnonzero(np.diff(flags.astype(np.int8))) + 1
    bounds = [0, *edges.tolist(), len(flags)]
    return [(offset + a, offset + b, bool(flags[a])) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b > a]


def segments(f0: np.ndarray, mcep: np.ndarray, frame_period_ms: float) -> list[Segment]:
    """The utterance as consecutive runs: the silence before the speech, the voiced and unvoiced runs of the speech
    (gaps under MERGE_GAP_MS merged into the voiced runs around them), the silence after it."""
    loud = np.flatnonzero(speech_mask(mcep_level_db(mcep)))
    first, last = (int(loud[0]), int(loud[-1]) + 1) if len(loud) else (0, len(f0))
    voiced = np.asarray(f0[first:last]) > 0
    for start, end, is_voiced in _runs(voiced):
        if not is_voiced and 0 < start and end < len(voiced) and (end - start) * frame_period_ms < MERGE_GAP_MS:
            voiced[start:end] = True
    silence = [Segment(a, b, False, speech=False) for a, b in ((0, first), (last, len(f0))) if b > a]
    return sorted(silence + [Segment(a, b, v) for a, b, v in _runs(voiced, first)], key=lambda run: run.start)


def _log_normal(seconds: list[float]) -> tuple[float, float]:
    logs = np.log(seconds)
    return float(logs.mean()), float(max(logs.std(), 1e-3))


@dataclass(frozen=True)
class DurationStats:
    """A speaker's rhythm: mean log seconds of speech per utterance, and log-normal lengths (log seconds) of the
    voiced and unvoiced segments inside speech."""

    speech_log_mean: float
    voiced_log_mean: float
    voiced_log_std: float
    unvoiced_log_mean: float
    unvoiced_log_std: float

    @classmethod
    def from_features(cls, utterances: list[tuple[np.ndarray, np.ndarray]], frame_period_ms: float
                      ) -> DurationStats | None:
        """From the (F0, MCEPs) of each of a speaker's utterances; None when they hold too few voiced and unvoiced
        segments to describe (e.g. steady tones)."""
        hop = frame_period_ms / 1000
        speech = [[run for run in segments(f0, mcep, frame_period_ms) if run.speech] for f0, mcep in utterances]
        voiced = [run.length * hop for runs in speech for run in runs if run.voiced]
        unvoiced = [run.length * hop for runs in speech for run in runs if not run.voiced]
        if len(voiced) < 2 or len(unvoiced) < 2:
            return None
        sentences = [sum(run.length for run in runs) * hop for runs in speech]
        return cls(float(np.mean(np.log(sentences))), *_log_normal(voiced), *_log_normal(unvoiced))

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> DurationStats | None:
        """The stored statistics; None when they are not these (another version's), as when there are none."""
        if set(d) != set(cls.__dataclass_fields__):
            return None
        return cls(**{key: float(value) for key, value in d.items()})


def segment_ratios(runs: list[Segment], mode: str, frame_period_ms: float, source: DurationStats,
                   target: DurationStats) -> np.ndarray:
    """How much each run is stretched (> 1) or squeezed (< 1) to move `source`'s rhythm toward `target`'s."""
    overall = float(np.clip(np.exp(target.speech_log_mean - source.speech_log_mean), *RATIO_LIMITS))
    if mode == "keep":
        return np.ones(len(runs))
    if mode == "global":
        return np.full(len(runs), overall)
    assert mode == "voiced", mode
    speech = np.array([run.speech for run in runs])
    lengths = np.array([run.length for run in runs], dtype=np.float64)
    ratios = np.ones(len(runs))
    for i, run in enumerate(runs):
        if run.speech:
            kind = "voiced" if run.voiced else "unvoiced"
            mean_s, std_s, mean_t, std_t = (getattr(stats, f"{kind}_log_{field}")
                                            for stats in (source, target) for field in ("mean", "std"))
            log_length = np.log(run.length * frame_period_ms / 1000)
            ratios[i] = np.exp(mean_t + (log_length - mean_s) * std_t / std_s - log_length)
    # The speech as a whole changes by `overall`; the segment mapping only shares that time out.
    ratios[speech] *= overall * lengths[speech].sum() / (lengths[speech] * ratios[speech]).sum()
    return np.clip(ratios, *RATIO_LIMITS)


def _resample(frames: np.ndarray, length: int, nearest: bool) -> np.ndarray:
    """`length` frames spread evenly over the (n, ...) `frames`: the nearest one's values, or linearly interpolated."""
    positions = np.clip((np.arange(length) + 0.5) * len(frames) / length - 0.5, 0, len(frames) - 1)
    if nearest:
        return frames[np.round(positions).astype(int)]
    low = np.floor(positions).astype(int)
    high = np.minimum(low + 1, len(frames) - 1)
    weight = (positions - low).reshape(-1, *([1] * (frames.ndim - 1)))
    return frames[low] * (1 - weight) + frames[high] * weight


def time_scale(f0: np.ndarray, mcep: np.ndarray, ap: np.ndarray, runs: list[Segment], ratios: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The frame sequences (F0 (T,), MCEPs (T, D), aperiodicity (T, K)) with each run resampled to its length times
    its ratio (rounding carried over, so the whole is scaled by the mean ratio)."""
    pieces: list[list[np.ndarray]] = [[], [], []]
    carried = 0.0
    for run, ratio in zip(runs, ratios, strict=True):
        exact = run.length * ratio + carried
        length = max(1, round(exact))
        carried = exact - length
        for piece, values, nearest in zip(pieces, (f0, mcep, ap), (True, False, False), strict=True):
            piece.append(_resample(values[run.start:run.end], length, nearest).astype(values.dtype))
    return tuple(np.concatenate(piece) for piece in pieces)  # type: ignore[return-value]

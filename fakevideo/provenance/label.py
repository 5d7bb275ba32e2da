"""The provenance label every generated file carries: what made it, from which checkpoint, and when."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fakevideo import __version__
from fakevideo.errors import CheckpointError, InputError


def _utc_now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class ProvenanceLabel:
    """Machine-readable statement that a file is synthetic, serialised as one JSON object."""

    model_family: str
    checkpoint_sha256: str | None = None
    synthetic: bool = True
    tool: str = "fakevideo"
    tool_version: str = __version__
    created: str = field(default_factory=_utc_now)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """Compact, key-sorted JSON so the same label always gives the same bytes."""
        return json.dumps(dataclasses.asdict(self), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str, source: str = "label") -> ProvenanceLabel:
        """Parse a label; keys this version does not know are kept under `extra` rather than dropped."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise InputError(f"{source}: provenance label is not valid JSON ({err.msg})") from None
        if not isinstance(data, dict) or "model_family" not in data:
            raise InputError(f"{source}: provenance label has no 'model_family'")
        known = {f.name for f in dataclasses.fields(cls)}
        extra = dict(data.get("extra") or {})
        extra.update({k: v for k, v in data.items() if k not in known})
        return cls(**{k: v for k, v in data.items() if k in known and k != "extra"}, extra=extra)


def checkpoint_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a checkpoint file, streamed so multi-GB checkpoints need no memory."""
    digest = hashlib.sha256()
    try:
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                digest.update(block)
    except OSError as err:
        raise CheckpointError(f"{path}: cannot read checkpoint to hash it ({err.strerror})") from None
    return digest.hexdigest()

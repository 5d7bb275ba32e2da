"""User-facing errors: one line that names the file or config key and the fix, never a deep traceback."""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


class FakevideoError(Exception):
    """An error the user can fix (bad file, bad config value, wrong checkpoint): reported in one line."""


class InputError(FakevideoError):
    """A media file that cannot be used: unreadable, corrupt, empty, silent, too short, no face."""


class ConfigError(FakevideoError):
    """A configuration value that is missing, of the wrong type or out of range."""


class CheckpointError(FakevideoError):
    """A checkpoint that is missing, truncated, or from another model family or feature configuration."""


def check_positive_int(key: str, value: object) -> None:
    """ConfigError naming `key` unless `value` is an integer of at least 1 (a bool or "8" is not)."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{key}={value!r}: must be a positive integer")


def user_error(err: BaseException) -> FakevideoError | None:
    """The FakevideoError that caused `err`, if any: Hydra wraps errors raised while instantiating configs."""
    while err is not None and not isinstance(err, FakevideoError):
        err = err.__cause__
    return err


def exit_on_user_error(main: Callable[..., T]) -> Callable[..., T]:
    """Wrap a command-line entry so a FakevideoError prints `error: <message>` and exits with status 2."""

    @functools.wraps(main)
    def wrapper(*args, **kwargs):
        try:
            return main(*args, **kwargs)
        except Exception as err:
            cause = user_error(err)
            if cause is None:
                raise
            print(f"error: {cause}", file=sys.stderr)
            sys.exit(2)

    return wrapper

"""Worker counts and the background-thread helpers behind the swap's decode-ahead and write-behind."""

import threading
import time

import pytest

from fakevideo.errors import ConfigError
from fakevideo.parallel import in_background, loader_workers, prefetch, worker_count


def test_worker_count_is_the_request_or_every_core_never_more_than_the_jobs(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 4)
    assert worker_count(None) == 4 and worker_count(0, jobs=10) == 4
    assert worker_count(None, jobs=2) == 2 and worker_count(3, jobs=1) == 1 and worker_count(3) == 3


def test_dataloader_workers_default_to_none_on_cpu_and_some_with_a_gpu(monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 16)
    assert loader_workers(None, gpu=False) == 0  # the model already uses every core
    assert loader_workers(None, gpu=True) == 8
    assert loader_workers(3, gpu=False) == 3
    monkeypatch.setattr("os.cpu_count", lambda: 1)
    assert loader_workers(None, gpu=True) == 0  # no core to spare for a worker
    with pytest.raises(ConfigError, match="data.num_workers=-1"):
        loader_workers(-1, gpu=True)


def test_prefetch_keeps_order_runs_ahead_by_depth_and_on_another_thread():
    produced, threads = [], set()

    def frames():
        for index in range(10):
            produced.append(index)
            threads.add(threading.get_ident())
            yield index

    stream = prefetch(frames(), depth=3)
    assert next(stream) == 0
    deadline = time.monotonic() + 10
    while len(produced) < 1 + 3 and time.monotonic() < deadline:  # the producer fills its window ...
        time.sleep(0.01)
    time.sleep(0.1)
    assert len(produced) == 1 + 3  # ... and stops there
    assert list(stream) == list(range(1, 10))
    assert threads and threading.get_ident() not in threads


def test_prefetch_raises_the_producers_error_and_stops_when_closed():
    def failing():
        yield 1
        raise ValueError("corrupt frame 1")

    stream = prefetch(failing(), depth=2)
    assert next(stream) == 1
    with pytest.raises(ValueError, match="corrupt frame 1"):
        next(stream)

    produced = []

    def endless():
        while True:
            produced.append(None)
            yield len(produced)

    stream = prefetch(endless(), depth=2)
    assert next(stream) == 1
    stream.close()
    settled = len(produced)
    time.sleep(0.1)
    assert len(produced) == settled <= 1 + 2  # nothing produced after close, never more than the window


def test_in_background_runs_every_call_in_order_before_the_block_ends():
    done, threads = [], set()

    def slow_write(item):
        time.sleep(0.05)
        threads.add(threading.get_ident())
        done.append(item)

    with in_background(slow_write, depth=4) as write:
        for item in range(12):
            write(item)
        assert len(done) < 12  # the caller did not wait for each write
    assert done == list(range(12)) and threading.get_ident() not in threads


def test_in_background_raises_a_failed_call_in_the_caller():
    def write(item):
        if item == 3:
            raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"), in_background(write, depth=2) as submit:
        for item in range(10):
            submit(item)

"""A Dask scheduler and workers on 127.0.0.1 as real `dask scheduler` / `dask worker` processes, each in a process group
of its own so that one can be killed at once like a PC losing power; for tests/test_cluster.py and bench_cluster.py."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

START_SECONDS = 120


class LocalCluster:
    """`with LocalCluster(folder, workers=2) as cluster:` … `cluster.address`; logs go to folder/<name>.log."""

    def __init__(self, folder: Path, workers: int = 2):
        self.folder = folder
        self.processes: dict[str, subprocess.Popen] = {}
        scheduler_file = folder / "scheduler.json"
        self._start(
            "scheduler",
            [
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(scheduler_file),
            ],
        )
        deadline = time.monotonic() + START_SECONDS
        while not scheduler_file.is_file():
            if time.monotonic() > deadline or self.processes["scheduler"].poll() is not None:
                self.close()
                raise RuntimeError(f"dask scheduler did not start: {(folder / 'scheduler.log').read_text()[-2000:]}")
            time.sleep(0.1)
        self.address = json.loads(scheduler_file.read_text())["address"]
        for number in range(1, workers + 1):
            self.add_worker(f"w{number}")
        self.wait_for_workers(workers)

    def _start(self, name: str, arguments: list[str]) -> None:
        with open(self.folder / f"{name}.log", "wb") as log:
            self.processes[name] = subprocess.Popen(
                [sys.executable, "-m", "dask", *arguments], stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def add_worker(self, name: str) -> None:
        """Start one more worker with one thread (its nanny and worker process share its process group)."""
        self._start(
            name,
            [
                "worker",
                self.address,
                "--name",
                name,
                "--nthreads",
                "1",
                "--host",
                "127.0.0.1",
                "--no-dashboard",
                "--local-directory",
                str(self.folder / name),
            ],
        )

    def wait_for_workers(self, count: int) -> None:
        from distributed import Client

        with Client(self.address, timeout=START_SECONDS) as client:
            client.wait_for_workers(count, timeout=START_SECONDS)

    def kill(self, name: str) -> None:
        """SIGKILL a worker's whole process group: no goodbye to the scheduler, its tasks are lost mid-way."""
        process = self.processes.pop(name)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()

    def close(self) -> None:
        for process in self.processes.values():
            try:
                os.killpg(process.pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
        for process in self.processes.values():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        self.processes.clear()

    def __enter__(self) -> LocalCluster:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

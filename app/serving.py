"""What `gridapi serve` sets up around uvicorn's workers: one metrics directory they all write
(so `/metrics` adds every worker up) and workers that end with the process that started them.

uvicorn's supervisor (`--workers N`) starts each worker as a fresh interpreter that imports the
app factory named here; a worker inherits the environment of the moment it is started, which is
how the directory and the parent's pid reach it.
"""

from __future__ import annotations

import logging
import os
import shutil
import signal
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from fastapi import FastAPI

from app.main import create_app

# prometheus-client chooses file-backed values at import when this is set (multiprocess mode).
METRICS_DIR_ENV = "PROMETHEUS_MULTIPROC_DIR"
PARENT_ENV = "GRID_SERVE_PARENT_PID"
APP_FACTORY = "app.serving:create_worker_app"
PARENT_POLL_SECONDS = 0.5
# How long uvicorn's supervisor waits for a worker to answer before killing and replacing it.
# A spawned worker first imports the whole app (the console script's module), ~3 s of CPU: on a
# busy 2-core machine uvicorn's 5 s default killed every worker before it was up, in a loop.
WORKER_HEALTHCHECK_SECONDS = 30
log = logging.getLogger("gridapi.serve")


@contextmanager
def worker_environment(workers: int) -> Iterator[None]:
    """Around `uvicorn.run`: a clean metrics directory (the one in PROMETHEUS_MULTIPROC_DIR, or
    a temporary one when several workers run and none is set) and the parent's pid for workers
    to watch. A directory holds files per pid that are summed on every scrape: a previous run's
    files would be added to this one's, so it is emptied first."""
    given = os.environ.get(METRICS_DIR_ENV)
    created: str | None = None
    if given:
        directory = Path(given)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
    elif workers > 1:
        created = tempfile.mkdtemp(prefix="gridapi-metrics-")
        os.environ[METRICS_DIR_ENV] = created
    if workers > 1:
        os.environ[PARENT_ENV] = str(os.getpid())
    try:
        yield
    finally:
        os.environ.pop(PARENT_ENV, None)
        if created is not None:
            os.environ.pop(METRICS_DIR_ENV, None)
            shutil.rmtree(created, ignore_errors=True)


def _exit_when_orphaned(parent: int) -> None:
    """A worker whose parent is gone (SIGKILLed: it could not stop its workers) would go on
    answering on the shared socket with no supervisor; it shuts down as if told to."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_POLL_SECONDS)
        log.warning("serve parent gone: shutting down", extra={"fields": {"parent": parent}})
        os.kill(os.getpid(), signal.SIGTERM)  # uvicorn's graceful shutdown

    threading.Thread(target=watch, name="gridapi-parent-watch", daemon=True).start()


def create_worker_app() -> FastAPI:
    """The factory `gridapi serve` hands uvicorn (in every worker process)."""
    parent = os.environ.get(PARENT_ENV)
    if parent:
        _exit_when_orphaned(int(parent))
    return create_app()

"""`gridapi serve --workers 2` as an operator runs it: `/metrics` adds both workers up whichever
one answers the scrape, and a parent killed with SIGKILL takes its workers with it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from app import serving

ROOT = Path(__file__).resolve().parents[2]
READY_SECONDS = 120  # two interpreters importing the app on a busy 2-core machine
HEALTHZ = {"method": "GET", "route": "ops-healthz", "status": "200"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _healthz_count(samples: object) -> float:
    return sum(s.value for fam in samples for s in fam.samples  # type: ignore[attr-defined]
               if s.name == "gridapi_http_requests_total" and s.labels == HEALTHZ)


def _per_worker(directory: Path) -> dict[int, float]:
    """Requests to /healthz each worker counted, read from its own file (counter_<pid>.db)."""
    out = {}
    for f in directory.glob("counter_*.db"):
        out[int(f.stem.split("_")[1])] = _healthz_count(
            MultiProcessCollector.merge([str(f)], accumulate=True))
    return out


def _answers(base: str) -> bool:
    try:
        return httpx.get(f"{base}/healthz", timeout=2).status_code == 200
    except httpx.TransportError:
        return False


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str, Path]]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != serving.METRICS_DIR_ENV}
    # No directory given: serve makes its own, under TMPDIR, where the test can read it.
    env.update(DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/serve.db", GRID_ENV="development",
               TMPDIR=str(tmp_path), GRID_LOG_JSON="false")
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + READY_SECONDS
        while not _answers(base):
            assert proc.poll() is None, (tmp_path / "serve.log").read_text()
            assert time.monotonic() < deadline, (tmp_path / "serve.log").read_text()
            time.sleep(0.3)
        yield proc, base, tmp_path
    finally:
        # The whole session (parent and any worker), whatever the test did to the parent.
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait(timeout=30)
        log.close()


def test_metrics_add_up_both_workers_and_workers_die_with_the_parent(served):
    proc, base, tmp = served
    dirs = list(tmp.glob("gridapi-metrics-*"))
    assert len(dirs) == 1, "serve --workers 2 sets up one PROMETHEUS_MULTIPROC_DIR"
    metrics_dir = dirs[0]

    # Fresh connections, several at once, until both workers have answered some.
    sent = 1  # the readiness probe
    with ThreadPoolExecutor(8) as pool:
        for _ in range(40):
            codes = list(pool.map(lambda _: httpx.get(f"{base}/healthz").status_code, range(40)))
            assert set(codes) == {200}
            sent += len(codes)
            counts = _per_worker(metrics_dir)
            if len(counts) == 2 and all(counts.values()):
                break
    counts = _per_worker(metrics_dir)
    assert len(counts) == 2 and all(counts.values()), counts
    assert sum(counts.values()) == sent

    # Whichever worker answers a scrape reports the total of both.
    for _ in range(10):
        scrape = httpx.get(f"{base}/metrics")  # a new connection each time
        assert scrape.status_code == 200
        assert _healthz_count(text_string_to_metric_families(scrape.text)) == sent

    workers = set(counts)
    os.kill(proc.pid, signal.SIGKILL)  # no chance to stop its workers itself
    proc.wait(timeout=10)
    deadline = time.monotonic() + 20
    while _answers(base) or any(_alive(pid) for pid in workers):
        assert time.monotonic() < deadline, "workers still up after their parent was killed"
        time.sleep(0.2)


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")  # a zombie no longer answers anything


def test_a_given_metrics_directory_is_emptied_at_start_and_kept(tmp_path, monkeypatch):
    given = tmp_path / "metrics"
    given.mkdir()
    (given / "counter_999999.db").write_bytes(b"a previous run's counts")
    (given / "README").write_text("not ours")
    monkeypatch.setenv(serving.METRICS_DIR_ENV, str(given))
    with serving.worker_environment(2):
        assert not list(given.glob("*.db"))
        assert os.environ[serving.PARENT_ENV] == str(os.getpid())
    assert (given / "README").exists() and os.environ[serving.METRICS_DIR_ENV] == str(given)
    assert serving.PARENT_ENV not in os.environ


def test_a_directory_made_for_the_workers_is_removed_after(tmp_path, monkeypatch):
    monkeypatch.delenv(serving.METRICS_DIR_ENV, raising=False)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    monkeypatch.setattr("tempfile.tempdir", None)
    with serving.worker_environment(2):
        made = Path(os.environ[serving.METRICS_DIR_ENV])
        assert made.is_dir() and made.parent == tmp_path
    assert not made.exists() and serving.METRICS_DIR_ENV not in os.environ
    with serving.worker_environment(1):  # one process: its own registry is the whole story
        assert serving.METRICS_DIR_ENV not in os.environ

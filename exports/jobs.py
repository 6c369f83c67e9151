"""Export jobs run behind a page: a worker thread per job, a job id to poll, the file
kept until its owner downloads it or it expires.

An atlas or a big data export takes seconds to a minute, longer than a request
should hang. The page posts the job, polls its status (``/export/jobs/ID``, a few
hundred bytes) and offers the file when it is done (exports/web.py). A plain thread
and a dict are enough here: one server process (``townbrain serve``, waitress), and
a job lost at a restart is simply made again. Dash's background callbacks would bring
a cache and a second process to run what one thread does.

Bounded: at most :data:`MAX_RUNNING` exports work at once (the machine's cores are
the wall's too) and at most :data:`MAX_PER_OWNER` jobs of one session are kept; a
finished file is deleted once downloaded or after :data:`KEEP_SECONDS`, whichever
comes first. A job belongs to the session that started it: another session — the
same person signed in elsewhere included — is told there is no such job.

Examples
--------
>>> import tempfile, pathlib
>>> jobs = ExportJobs(pathlib.Path(tempfile.mkdtemp()))
>>> def work(job):
...     job.progress = 0.5
...     p = job.folder / "x.txt"; p.write_text("hi"); return p, {"records": 1}
>>> job = jobs.start("s1", "data/csv", work)
>>> jobs.wait(job.job_id)["state"], jobs.get("s2", job.job_id)
('done', None)
>>> jobs.take("s1", job.job_id).read_text()
'hi'
"""
from __future__ import annotations

import secrets
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

#: Exports working at once; more wait their turn (queued).
MAX_RUNNING = 2
#: Jobs one session may hold (queued, running or waiting to be downloaded).
MAX_PER_OWNER = 3
#: Jobs the server holds at all; one more is refused ("busy") until some are done with.
MAX_JOBS = 20
#: How long a finished file waits for its download (s).
KEEP_SECONDS = 15 * 60


class JobRefused(Exception):
    """A job that cannot be started now (too many of this session's, or the server's)."""


@dataclass
class Job:
    job_id: str
    owner: str
    kind: str
    folder: Path
    state: str = "queued"          # queued → running → done | failed; downloaded / expired after
    progress: float | None = None  # 0..1 when the exporter can tell, else None
    message: str = ""
    path: Path | None = None
    info: dict = field(default_factory=dict)
    created: float = field(default_factory=time.monotonic)
    finished: float | None = None

    def status(self) -> dict:
        return {"job": self.job_id, "kind": self.kind, "state": self.state, "progress": self.progress,
                "message": self.message, "file": self.path.name if self.path and self.state == "done" else None,
                "seconds": round((self.finished or time.monotonic()) - self.created, 1), **self.info}


class ExportJobs:
    """The server's export jobs, in memory, under ``root`` on disk."""

    def __init__(self, root: Path, clock: Callable[[], float] = time.monotonic):
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)
        self.clock = clock
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._slots = threading.Semaphore(MAX_RUNNING)

    def start(self, owner: str, kind: str, work: Callable[[Job], tuple[Path, dict]]) -> Job:
        """Queue ``work(job)`` (returns the file written and what the status should
        tell) for ``owner``; :class:`JobRefused` when the bounds say no."""
        self.sweep()
        with self._lock:
            mine = [j for j in self._jobs.values() if j.owner == owner]
            if len(mine) >= MAX_PER_OWNER:
                raise JobRefused("owner")
            if len(self._jobs) >= MAX_JOBS:
                raise JobRefused("busy")
            job_id = secrets.token_urlsafe(12)
            folder = self.root / job_id
            folder.mkdir()
            job = Job(job_id, owner, kind, folder, created=self.clock())
            self._jobs[job_id] = job
        threading.Thread(target=self._run, args=(job, work), name=f"export-{job_id[:6]}", daemon=True).start()
        return job

    def _run(self, job: Job, work) -> None:
        with self._slots:
            job.state = "running"
            try:
                path, info = work(job)
            except Exception as exc:  # noqa: BLE001 - the page says what went wrong, in one line
                job.state, job.message = "failed", (str(exc).splitlines() or [type(exc).__name__])[0][:300]
                shutil.rmtree(job.folder, ignore_errors=True)
            else:
                job.path, job.info, job.progress, job.state = Path(path), dict(info), 1.0, "done"
            job.finished = self.clock()

    def get(self, owner: str, job_id: str) -> Job | None:
        """The job ``job_id`` when it is ``owner``'s, else None (whether it exists is not told)."""
        self.sweep()
        with self._lock:
            job = self._jobs.get(str(job_id))
        return job if job is not None and secrets.compare_digest(job.owner, owner) else None

    def take(self, owner: str, job_id: str) -> Path | None:
        """The finished file of ``owner``'s job, handed over once: the job is forgotten
        now and the caller deletes the file (:meth:`discard`) once it is sent."""
        job = self.get(owner, job_id)
        if job is None or job.state != "done" or job.path is None or not job.path.exists():
            return None
        with self._lock:
            self._jobs.pop(job.job_id, None)
        return job.path

    @staticmethod
    def discard(path: Path) -> None:
        shutil.rmtree(Path(path).parent, ignore_errors=True)

    def sweep(self) -> None:
        """Forget (and delete the files of) jobs finished more than :data:`KEEP_SECONDS` ago."""
        now = self.clock()
        with self._lock:
            old = [j for j in self._jobs.values() if j.finished is not None and now - j.finished > KEEP_SECONDS]
            for j in old:
                self._jobs.pop(j.job_id, None)
        for j in old:
            shutil.rmtree(j.folder, ignore_errors=True)

    def wait(self, job_id: str, timeout: float = 60.0) -> dict:
        """The status of a job once it is no longer queued or running (for tests and scripts)."""
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            with self._lock:
                job = self._jobs.get(job_id)
            if job is None or job.state in ("done", "failed"):
                return job.status() if job else {"state": "gone"}
            time.sleep(0.05)
        return {"state": "timeout"}

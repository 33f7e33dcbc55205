"""The background queue: sessions with newly committed messages, processed one at a time
on a daemon thread, never on the turn's path. Each session is queued at most once."""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict
from collections.abc import Callable

log = logging.getLogger("clawmemory.formation")

Job = tuple[str, str]  # (namespace, session_key)


class SessionQueue:
    """Run ``work(namespace, session_key)`` in the background for each queued session."""

    def __init__(self, work: Callable[[str, str], object]) -> None:
        self._work = work
        self._pending: OrderedDict[Job, None] = OrderedDict()
        self._cond = threading.Condition()
        self._busy = False
        self._stopped = False
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None

    def put(self, namespace: str, session_key: str) -> None:
        with self._cond:
            if self._stopped:
                return
            self._pending[(namespace, session_key)] = None
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="clawmemory-formation", daemon=True)
                self._thread.start()
            self._cond.notify_all()

    def drain(self, timeout_s: float) -> bool:
        """Wait until nothing is queued or running; False when ``timeout_s`` ran out first."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._pending and not self._busy, timeout_s)

    def stop(self, wait_s: float = 2.0) -> None:
        with self._cond:
            self._stopped = True
            self._pending.clear()
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(wait_s)

    def _run(self) -> None:
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._pending or self._stopped)
                if self._stopped:
                    return
                job, _ = self._pending.popitem(last=False)
                self._busy = True
            try:
                self._work(*job)
            except Exception as exc:  # one failed session never stops the worker
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("memory formation failed for %s/%s: %s", job[0], job[1], exc)
            finally:
                with self._cond:
                    self._busy = False
                    self._cond.notify_all()

"""Threads that leave a worker's stop signals to its main thread.

The kernel hands a signal sent to the process to any thread that does not block it,
but only one that reaches the main thread interrupts a worker's waits at once (an
idle wait, the shell executor's select); a stop signal taken by another thread
leaves an idle worker asleep. A thread inherits its creator's signal mask, so a
thread started while the stop signals (``SIGTERM``, ``SIGINT``, ``SIGHUP``) and the
poke signal (``SIGUSR1``) are blocked never takes them. Start every thread of a
plugin's that may run in a worker this way.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

#: What stops a worker (``SIGHUP``: its terminal closed); the first is graceful.
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)
#: How another thread wakes or interrupts a worker's main thread.
POKE_SIGNAL = signal.SIGUSR1


def start_daemon_thread(target: Callable[[], object], name: str) -> threading.Thread:
    """Start a daemon thread running ``target()`` that never takes a worker's stop signals."""
    thread = threading.Thread(target=target, name=name, daemon=True)
    call_with_stop_signals_blocked(thread.start)
    return thread


def call_with_stop_signals_blocked(start: Callable[[], T]) -> T:
    """``start()`` with the stop and poke signals blocked in this thread: the threads it
    starts block them for good. This thread's signal mask is restored afterwards."""
    if not hasattr(signal, "pthread_sigmask"):  # no signal masks on this platform
        return start()
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {*STOP_SIGNALS, POKE_SIGNAL})
    try:
        return start()
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)

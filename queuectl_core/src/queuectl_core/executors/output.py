"""Bounded output capture: keep the last ``limit`` bytes, count what was dropped; and
live output, what a running job printed, sent to the backend in chunks."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence

from queuectl_core.storage.records import OutputChunk

#: Seconds between two chunks of a running job's output sent to the backend.
LIVE_INTERVAL = 0.5


class OutputTail(io.TextIOBase):
    """The tail of a byte stream, at most ``limit`` bytes, plus a count of dropped bytes.

    Feed raw bytes with :meth:`feed` (pipe reads), or use it as a text stream in place
    of ``sys.stdout``/``sys.stderr``: :meth:`write` encodes text as UTF-8, and
    :attr:`buffer` takes bytes for code that writes to ``sys.stdout.buffer``.

    Appending is amortised O(1): the buffer may grow to twice ``limit`` before the
    excess is cut, so the common small case is a plain ``bytearray`` append.
    """

    encoding = "utf-8"
    errors = "backslashreplace"  # lone surrogates cannot make a write fail

    def __init__(self, limit: int) -> None:
        super().__init__()
        if limit < 0:
            raise ValueError("limit must not be negative")
        self.limit = limit
        self._data = bytearray()
        self._dropped = 0
        self.buffer = _BinaryView(self)

    def feed(self, data: bytes | bytearray | memoryview) -> None:
        """Append raw bytes, dropping the oldest once more than ``limit`` are held."""
        size = len(data)
        if size >= self.limit:  # the new data alone fills the tail
            self._dropped += len(self._data) + size - self.limit
            self._data[:] = data[size - self.limit :]
            return
        self._data += data
        excess = len(self._data) - self.limit
        if excess > self.limit:  # trim lazily, at most once per ``limit`` bytes fed
            del self._data[:excess]
            self._dropped += excess

    @property
    def data(self) -> bytes:
        """The last ``limit`` bytes fed."""
        excess = len(self._data) - self.limit
        return bytes(self._data[excess:] if excess > 0 else self._data)

    @property
    def dropped(self) -> int:
        """How many bytes were fed but are not in :attr:`data`."""
        return self._dropped + max(0, len(self._data) - self.limit)

    # -- text stream (``sys.stdout`` replacement) ------------------------------

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self.feed(text.encode("utf-8", "backslashreplace"))
        return len(text)


class _BinaryView(io.RawIOBase):
    """``sys.stdout.buffer`` of an :class:`OutputTail`: bytes written go to the tail."""

    def __init__(self, tail: OutputTail) -> None:
        super().__init__()
        self._tail = tail

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        self._tail.feed(data)
        return len(data)


class LiveOutput:
    """A running attempt's output on its way to the backend (``queuectl logs --follow``).

    What each stream printed since the last send waits here, bounded like the final
    output (an :class:`OutputTail` of ``limit`` bytes; what it cuts is sent as the
    chunk's ``skipped``), and goes out in one call at most every ``interval`` seconds,
    the first ``interval`` after the start: a job that prints nothing, or ends sooner,
    sends nothing (its result carries its whole output). Once ``send`` says the lease
    is lost, nothing more is sent.
    """

    def __init__(
        self,
        send: Callable[[Sequence[OutputChunk]], bool],
        limit: int,
        now: float,
        interval: float = LIVE_INTERVAL,
    ) -> None:
        self._send = send
        self._limit = limit
        self._interval = interval
        self._next = now + interval
        self._pending: dict[str, OutputTail] = {}
        self._open = True

    def feed(self, stream: str, data: bytes) -> None:
        """Add what ``stream`` (``stdout`` or ``stderr``) printed."""
        if self._open:
            tail = self._pending.get(stream)
            if tail is None:
                tail = self._pending[stream] = OutputTail(self._limit)
            tail.feed(data)

    def due_in(self, now: float) -> float | None:
        """Seconds until the next send is due; ``None`` while nothing waits."""
        return max(0.0, self._next - now) if self._pending else None

    def send_if_due(self, now: float) -> None:
        """Send what waits if the interval has passed since the last send."""
        if not self._pending or now < self._next:
            return
        chunks = [
            OutputChunk(name, tail.data, tail.dropped) for name, tail in self._pending.items()
        ]
        self._pending = {}
        self._next = now + self._interval
        if not self._send(chunks):
            self._open = False

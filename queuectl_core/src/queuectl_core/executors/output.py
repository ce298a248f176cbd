"""Bounded output capture: keep the last ``limit`` bytes, count what was dropped."""

from __future__ import annotations

import io


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

"""A generation thread bridged to asyncio, with backpressure and prompt cancellation.

llama.cpp generates synchronously, token by token, and holds the CPU while it does; running it
on the event loop would freeze every other task. So a turn runs in its own thread and hands its
items to the loop through ``WorkerSource``, an async iterator the guard reads:

- **backpressure**: the thread may run at most ``capacity`` items ahead of the consumer. It
  takes a credit before handing over an item and the consumer gives one back per item read, so
  a slow consumer slows generation instead of growing a queue;
- **prompt stop**: ``aclose()`` (which the guard calls on close, ``break`` and cancellation)
  sets a ``threading.Event`` that the producer checks between tokens, wakes a producer waiting
  for a credit, and waits for the thread to end, so no thread is left generating;
- **errors**: an exception raised by the producer is re-raised to the consumer after the items
  handed over before it;
- **abandoned streams**: a consumer that neither reads nor closes for ``stall_timeout`` seconds
  is taken as gone: the producer stops (and releases the model) instead of waiting forever, and
  a consumer that comes back finds a truncated stream.

The producer is any ``(emit, stop) -> None`` function, which keeps this module free of
llama.cpp and testable with a fake producer.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Callable
from typing import Final, Generic, TypeVar

__all__ = ["Emit", "Producer", "WorkerSource", "WorkerStopped"]

T = TypeVar("T")


class WorkerStopped(Exception):
    """Raised inside the producer by ``emit`` once the consumer has gone away."""


Emit = Callable[[T], None]
Producer = Callable[[Callable[[T], None], threading.Event], None]

_CREDIT_POLL: Final = 0.05  # seconds between stop checks while waiting for the consumer
_JOIN_GRACE: Final = 0.5  # the thread's last lines after it signalled its end


class _Finished:
    __slots__ = ("error",)

    def __init__(self, error: BaseException | None) -> None:
        self.error = error


class WorkerSource(Generic[T]):
    """Runs ``producer`` in a thread; an async iterator over what it emits."""

    def __init__(
        self,
        producer: Producer[T],
        *,
        capacity: int = 64,
        name: str = "llmport-local",
        join_timeout: float = 30.0,
        stall_timeout: float = 600.0,
    ) -> None:
        if capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._producer = producer
        self._credits = threading.Semaphore(capacity)
        self._stop = threading.Event()
        self._queue: asyncio.Queue[T | _Finished] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._join_timeout = join_timeout
        self._stall_timeout = stall_timeout
        self._done = False
        self._closed = False
        self._ended = asyncio.Event()

    @property
    def thread(self) -> threading.Thread:
        """The generation thread (tests check that it ends)."""
        return self._thread

    @property
    def stop_event(self) -> threading.Event:
        return self._stop

    def start(self) -> None:
        """Start the thread; must be called from the event loop that will read the items."""
        self._loop = asyncio.get_running_loop()
        self._thread.start()

    # --- the producer's side (worker thread) ---------------------------------------------------

    def _emit(self, item: T) -> None:
        deadline = time.monotonic() + self._stall_timeout
        while not self._credits.acquire(timeout=_CREDIT_POLL):
            if self._stop.is_set() or time.monotonic() > deadline:
                raise WorkerStopped
        if self._stop.is_set():
            raise WorkerStopped
        self._hand_over(item)

    def _hand_over(self, item: T | _Finished) -> None:
        loop = self._loop
        assert loop is not None
        try:
            loop.call_soon_threadsafe(self._queue.put_nowait, item)
        except RuntimeError:  # the loop is closed: nobody is listening any more
            self._stop.set()
            raise WorkerStopped from None

    def _run(self) -> None:
        error: BaseException | None = None
        try:
            self._producer(self._emit, self._stop)
        except WorkerStopped:
            pass
        except BaseException as exc:  # handed to the consumer, never lost in the thread
            error = exc
        with contextlib.suppress(WorkerStopped):
            self._hand_over(_Finished(error))
        loop = self._loop
        assert loop is not None
        with contextlib.suppress(RuntimeError):  # the loop may be closed already
            loop.call_soon_threadsafe(self._ended.set)

    # --- the consumer's side (event loop) ------------------------------------------------------

    def __aiter__(self) -> WorkerSource[T]:
        return self

    async def __anext__(self) -> T:
        if self._done:
            raise StopAsyncIteration
        if self._loop is None:
            self.start()
        item = await self._queue.get()
        if isinstance(item, _Finished):
            self._done = True
            await self._join()
            if item.error is not None:
                raise item.error
            raise StopAsyncIteration
        self._credits.release()
        return item

    async def aclose(self) -> None:
        """Stop the producer and wait (bounded) for its thread to end. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._done = True
        self._stop.set()
        self._credits.release()  # wake a producer waiting for a credit at once
        await self._join()

    async def _join(self) -> None:
        if not self._thread.is_alive():
            return
        # Generation checks the stop flag between tokens, so this waits about one token's time.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ended.wait(), self._join_timeout)
        self._thread.join(timeout=_JOIN_GRACE)

"""Work handed to a worker thread, so that the event loop goes on serving meanwhile.

pyoxigraph's results (``QuerySolutions``, ``QueryTriples``) may be used and dropped only on the thread that made them:
one dropped on another thread raises there ("is unsendable, but is being dropped on another thread") and leaks. An
error raised by the work carries its frames, and with them any result in their local variables, to the thread that
awaits it; so the frames are cleared before the error leaves the worker thread.
"""

from __future__ import annotations

import traceback
from collections.abc import Callable
from typing import TypeVar

import anyio

T = TypeVar("T")


async def in_thread(work: Callable[[], T]) -> T:
    """``work()``, run on a worker thread; its error, if any, raised here with the local variables of its frames (and
    of the errors it was raised from) cleared on that thread."""

    def cleared() -> T:
        try:
            return work()
        except BaseException as error:
            _clear(error, set())
            raise

    return await anyio.to_thread.run_sync(cleared)


def _clear(error: BaseException, seen: set[int]) -> None:
    if id(error) in seen:
        return
    seen.add(id(error))
    traceback.clear_frames(error.__traceback__)
    linked = [error.__cause__, error.__context__]
    if isinstance(error, BaseExceptionGroup):
        linked += error.exceptions
    for other in linked:
        if other is not None:
            _clear(other, seen)

"""Failpoints: named places where the process can be made to die at once, as if killed with ``kill -9``, or to pause.

Crash safety is argued at these places (between the updates of an approval, which span two stores); the
fault tests prove it by dying there, and the order of decisions made at once by pausing one there while another runs.
``ECOMAP_FAILPOINTS`` names a folder; a failpoint is armed by a file of its name in that folder (empty: die; ``pause
S``: wait S seconds) and fires once (the file is removed as it fires), so that the process restarted after the crash
can complete the work. Unset, which is always the case outside those tests, ``reach`` does nothing.
"""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path


async def reach(name: str) -> None:
    """Die here, without cleaning up, or pause, if the failpoint ``name`` is armed."""
    folder = os.environ.get("ECOMAP_FAILPOINTS")
    if not folder:
        return
    armed = Path(folder) / name
    try:
        order = armed.read_text().split()
        armed.unlink()
    except FileNotFoundError:
        return
    if order[:1] == ["pause"]:
        await asyncio.sleep(float(order[1]))
        return
    os.kill(os.getpid(), signal.SIGKILL)

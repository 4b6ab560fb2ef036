"""Failpoints: named places where the process can be made to die at once, as if killed with ``kill -9``.

Crash safety is argued at these places (between the updates of an approval, which span two stores); the
fault tests prove it by dying there. ``ECOMAP_FAILPOINTS`` names a folder; a failpoint is armed by a file of
its name in that folder and fires once (the file is removed as it fires), so that the process restarted
after the crash can complete the work. Unset, which is always the case outside those tests, ``reach`` does
nothing.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path


def reach(name: str) -> None:
    """Die here, without cleaning up, if the failpoint ``name`` is armed."""
    folder = os.environ.get("ECOMAP_FAILPOINTS")
    if not folder:
        return
    try:
        (Path(folder) / name).unlink()
    except FileNotFoundError:
        return
    os.kill(os.getpid(), signal.SIGKILL)

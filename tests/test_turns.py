"""Moderators' decisions take turns across processes (api/turns.py): a turn held in another process is waited for,
refused with 503 and Retry-After past the patience, and free again the moment its holder dies."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import one_pass_only

from api.errors import ProblemError
from api.turns import Turns

pytestmark = one_pass_only

HOLD = """
import asyncio, sys
from pathlib import Path
from api.turns import Turns

async def hold():
    async with Turns(Path(sys.argv[1]), patience_s=5).turn():
        print("holding", flush=True)
        await asyncio.sleep(60)

asyncio.run(hold())
"""


def test_a_turn_held_in_another_process_is_waited_for_refused_past_the_patience_and_freed_when_its_holder_dies(
    tmp_path: Path,
):
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"

        async def try_turn(patience_s: float) -> float:
            started = time.monotonic()
            async with Turns(tmp_path, patience_s).turn():
                return time.monotonic() - started

        with pytest.raises(ProblemError) as refused:
            asyncio.run(try_turn(0.3))
        assert refused.value.status == 503 and refused.value.headers["Retry-After"]
        holder.kill()
        holder.wait(10)
        assert asyncio.run(try_turn(5)) < 1
    finally:
        holder.kill()
        holder.wait(10)


def test_turns_in_one_process_follow_one_another(tmp_path: Path):
    """Two requests of one worker: the second starts when the first has ended, never inside it."""

    async def both(folder: Path) -> list[str]:
        turns, events = Turns(folder, patience_s=5), []

        async def decide(name: str) -> None:
            async with turns.turn():
                events.append(f"{name} starts")
                await asyncio.sleep(0.05)
                events.append(f"{name} ends")

        await asyncio.gather(decide("a"), decide("b"))
        return events

    events = asyncio.run(both(tmp_path))
    assert events in (["a starts", "a ends", "b starts", "b ends"], ["b starts", "b ends", "a starts", "a ends"])

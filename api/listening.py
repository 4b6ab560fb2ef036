"""The sockets the web workers listen on.

Several workers each listen on a socket of their own, all bound to one port with ``SO_REUSEPORT``, and the kernel
spreads new connections among them. On one shared socket, whichever worker's event loop woke first accepted every
connection waiting (asyncio accepts up to the backlog at a wake-up): the benchmark's four kept-alive clients all went
to one worker while the other idled, and ecomap served at one worker's pace (bench/README.md).

The cost: a connection the kernel gives a dead worker's socket waits, unanswered but not refused, until uvicorn has
noticed the death (it looks every half second) and the worker replacing it listens there (a fork and the app's
start-up: 0.4 s on an idle machine, seconds under load). On one shared socket the living workers would take it.
"""

from __future__ import annotations

import itertools
import logging
import socket
from weakref import WeakKeyDictionary

from uvicorn.config import Config
from uvicorn.supervisors import Multiprocess
from uvicorn.supervisors.multiprocess import Process

logger = logging.getLogger("uvicorn.error")

# Sockets that send with Nagle's algorithm off: an answer's headers and body written separately would otherwise wait
# for the client's delayed ACK, 40 ms a request on Linux. (The stores' client, aiohttp, turns it off on its own.)
NO_DELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]


def listening_socket(config: Config) -> socket.socket:
    """The socket ``config`` binds, with Nagle's algorithm off (accepted connections inherit it). uvicorn binds it
    with protocol 0, and asyncio turns Nagle off only on sockets whose protocol is TCP: every answer on a kept-alive
    connection then waited 40 ms for the client's delayed ACK."""
    listening = config.bind_socket()
    for option in NO_DELAY:
        listening.setsockopt(*option)
    return listening


def sockets_on_one_port(config: Config, count: int) -> list[socket.socket]:
    """``count`` sockets listening together on ``config``'s host and port, Nagle's algorithm off."""
    family = socket.AF_INET6 if ":" in config.host else socket.AF_INET
    made: list[socket.socket] = []
    try:
        for _ in range(count):
            listening = socket.socket(family, socket.SOCK_STREAM)
            made.append(listening)
            listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listening.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            for option in NO_DELAY:
                listening.setsockopt(*option)
            listening.bind((config.host, config.port))
            listening.listen(config.backlog)
            listening.set_inheritable(True)
    except OSError:
        for listening in made:
            listening.close()
        raise
    return made


class SpreadWorkers(Multiprocess):
    """uvicorn's supervisor of worker processes, giving each worker it starts one of the sockets: the one the fewest
    living workers listen on (a dead worker's, to its replacement), and of those the one given out longest ago (the
    old worker's, when all are restarted one by one). A worker is never taken away (SIGTTOU): its socket would be
    left with none, and the connections the kernel gave it never answered."""

    def __init__(self, config: Config, sockets: list[socket.socket]) -> None:
        self._own = sockets
        self._given = [0] * len(sockets)  # when each was last given out, by a counter
        self._counter = itertools.count(1)
        # Which socket each worker was given: uvicorn stores a worker it starts before it starts the next, so the
        # socket last given out belongs to the stored worker not yet known here.
        self._socket_of: WeakKeyDictionary[Process, int] = WeakKeyDictionary()
        self._last: int | None = None
        super().__init__(config, sockets=sockets)

    @property
    def sockets(self) -> list[socket.socket]:
        """The socket for the worker uvicorn is about to start (it reads this once for each)."""
        for process in self.processes:
            if process not in self._socket_of and self._last is not None:
                self._socket_of[process] = self._last
        listened = [self._socket_of.get(p) for p in self.processes if p.process.is_alive()]
        chosen = min(range(len(self._own)), key=lambda i: (listened.count(i), self._given[i]))
        self._given[chosen], self._last = next(self._counter), chosen
        return [self._own[chosen]]

    @sockets.setter
    def sockets(self, _sockets: list[socket.socket]) -> None:
        """uvicorn sets its list once; the workers' sockets are ``_own``."""

    def handle_ttou(self) -> None:
        logger.warning("SIGTTOU ignored: each worker listens on a socket of its own, which none would serve.")

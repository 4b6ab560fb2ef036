"""The socket the web workers listen on.

One socket, shared by the workers. Each worker listening on a socket of its own (``SO_REUSEPORT``) spread the
connections and raised lookups by a fifth (bench/README.md), but with it a fresh-clone run failed two tests of
moderators racing in two workers (the public record lagging its history in tests/test_concurrency.py; every claim
losing in tests/test_submissions.py): races between workers that it makes likelier. It waits for approvals to be
ordered across workers.
"""

from __future__ import annotations

import socket

from uvicorn.config import Config

from graph.store.protocol import NO_DELAY


def listening_socket(config: Config) -> socket.socket:
    """The socket ``config`` binds, with Nagle's algorithm off (accepted connections inherit it). uvicorn binds it
    with protocol 0, and asyncio turns Nagle off only on sockets whose protocol is TCP: every answer on a kept-alive
    connection then waited 40 ms for the client's delayed ACK."""
    listening = config.bind_socket()
    for option in NO_DELAY:
        listening.setsockopt(*option)
    return listening

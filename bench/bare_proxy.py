"""The least a Python layer in front of Oxigraph can cost: the floor that ``serving.py`` measures ecomap against.

Two workers, as ``ecomap serve --workers 2`` runs, each on a socket of its own on the port, made as ecomap's are
(``api.listening.sockets_on_one_port``: the kernel spreads the connections; Nagle's algorithm off), on uvicorn with
uvloop and ecomap's HTTP/1.1 protocol (``api.protocol``: httptools, deadlines, the head's cap); a bare ASGI app that
hands each request's form to ``oxigraph serve`` through one pooled aiohttp session and returns its answer whole. No
checks, caps, headers or logs: whatever ecomap costs beyond this is its own work.

    python bench/bare_proxy.py PORT http://127.0.0.1:7878/query
"""

from __future__ import annotations

import os
import sys
from typing import Any

import aiohttp
import uvicorn

from api.listening import sockets_on_one_port
from api.protocol import TimedHttpProtocol
from api.server import die_with_parent

WORKERS = 2


def proxy(upstream: str) -> Any:
    session: aiohttp.ClientSession | None = None

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        nonlocal session
        if scope["type"] != "http":
            return
        body, more = b"", True
        while more:
            message = await receive()
            body, more = body + message.get("body", b""), message.get("more_body", False)
        session = session or aiohttp.ClientSession()
        accept = dict(scope["headers"]).get(b"accept", b"*/*").decode()
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": accept}
        async with session.post(upstream, data=body, headers=headers) as answer:
            data, media_type = await answer.read(), answer.headers.get("Content-Type", "application/octet-stream")
        await send(
            {
                "type": "http.response.start",
                "status": answer.status,
                "headers": [(b"content-type", media_type.encode())],
            }
        )
        await send({"type": "http.response.body", "body": data})

    return app


def main() -> None:
    """Fork the workers, each on its socket and asking to end with this process (however it ends), then wait."""
    port, upstream = int(sys.argv[1]), sys.argv[2]
    config = uvicorn.Config(
        proxy(upstream),
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http=TimedHttpProtocol,
        access_log=False,
        log_level="warning",
    )
    for listening in sockets_on_one_port(config, WORKERS):
        if os.fork() == 0:
            die_with_parent()
            uvicorn.Server(config).run(sockets=[listening])
            os._exit(0)
    while True:
        os.wait()


if __name__ == "__main__":
    main()

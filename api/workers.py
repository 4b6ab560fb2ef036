"""Imported by the fork server the web workers come from (``api.server.worker_context``), and nowhere else: the fork
server asks Linux to end it when ``ecomap serve`` ends, even killed (SIGKILL), and each worker it forks asks to end
with the fork server. uvicorn learns of its workers' exits from the fork server, so a worker whose fork server was
killed would otherwise run on, unsignalled; and a fork server whose ``ecomap serve`` was killed ran on with its
workers, still listening on the port (with ``SO_REUSEPORT``, beside the next ``ecomap serve`` started on it)."""

from __future__ import annotations

import os

from api.server import die_with_parent

die_with_parent()
os.register_at_fork(after_in_child=die_with_parent)

"""Imported by the fork server the web workers come from (``api.server.worker_context``), and nowhere else: each
worker it forks asks Linux to end it when the fork server ends. uvicorn learns of its workers' exits from the fork
server, so a worker whose fork server was killed would otherwise run on, unsignalled, after ``ecomap serve`` stopped."""

from __future__ import annotations

import os

from api.server import die_with_parent

os.register_at_fork(after_in_child=die_with_parent)

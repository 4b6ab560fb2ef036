"""Entity tags, read one way everywhere: a list in ``If-None-Match`` or ``If-Match``, weak or strong, and the tag of a
compressed answer.

A gzip-compressed answer is a different representation from the plain one, so it may not carry the same strong
``ETag`` (RFC 9110, 8.8.3): :func:`encoded` adds ``-gzip`` inside the quotes, as Apache httpd does, and
:func:`matches` reads either tag as the same answer, so that a client that was sent the compressed one still gets its
``304``, and a moderator's ``If-Match`` still approves what they reviewed.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders

ENCODED = "-gzip"


def matches(header: str | None, tag: str, *, strong: bool) -> bool:
    """Whether a conditional header's list holds ``tag`` (quoted, as sent in ``ETag``), or is ``*``. ``If-None-Match``
    compares weakly (``W/`` tags count); ``If-Match`` strongly (they do not)."""
    if not header:
        return False
    for listed in (t.strip() for t in header.split(",")):
        if listed == "*":
            return True
        if listed.startswith("W/"):
            if strong:
                continue
            listed = listed[2:]
        if listed.endswith(f'{ENCODED}"'):
            listed = listed[: -len(ENCODED) - 1] + '"'
        if listed == tag:
            return True
    return False


def encoded(headers: MutableHeaders) -> None:
    """A compressed answer's strong ``ETag`` names its encoding (``api.response_headers`` calls it as the answer
    starts, after the compression has set ``Content-Encoding``)."""
    tag = headers.get("etag")
    if tag and not tag.startswith("W/") and headers.get("content-encoding") == "gzip":
        headers["ETag"] = f'{tag[:-1]}{ENCODED}"'

"""Content negotiation in one place: parse real clients' ``Accept`` headers and pick what we offer.

Browsers and SPARQL clients send multi-valued, q-weighted headers with wildcards
(``text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8``); the most specific matching range
sets a type's quality, ties go to the server's order of preference, and ``q=0`` excludes.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class MediaRange:
    type: str
    subtype: str
    q: float

    def matches(self, media_type: str) -> int:
        """How specifically this range matches ``media_type``: 2 exact, 1 ``type/*``, 0 ``*/*``, -1 not at all."""
        kind, _, sub = media_type.partition("/")
        if self.type == kind and self.subtype == sub:
            return 2
        if self.type == kind and self.subtype == "*":
            return 1
        if self.type == "*" and self.subtype == "*":
            return 0
        return -1


def parse_accept(header: str | None) -> list[MediaRange]:
    """The ranges of an ``Accept`` header; a missing or empty header accepts anything."""
    ranges = []
    for part in (header or "*/*").split(","):
        fields = [f.strip() for f in part.split(";")]
        kind, _, sub = fields[0].lower().partition("/")
        if not kind or not sub:
            continue
        q = 1.0
        for param in fields[1:]:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        ranges.append(MediaRange(kind, sub, q))
    return ranges or [MediaRange("*", "*", 1.0)]


def choose(header: str | None, offered: list[str]) -> str | None:
    """The offered media type the client prefers, or ``None`` if it accepts none of them (406)."""
    ranges = parse_accept(header)
    best: tuple[float, int] | None = None
    chosen = None
    for preference, media_type in enumerate(offered):
        matching = [(r.matches(media_type), r.q) for r in ranges if r.matches(media_type) >= 0]
        if not matching:
            continue
        _, q = max(matching)  # the most specific range decides the quality
        if q <= 0:
            continue
        key = (q, -preference)
        if best is None or key > best:
            best, chosen = key, media_type
    return chosen

"""The model guide's diagram: ecomap's main classes as boxes and the properties that link them as arrows,
drawn as SVG. The boxes are placed by hand (a layout is an editor's choice); the arrows are exactly the
object properties of ``ontology/`` whose domain and range are both boxes (read from the ontology graph),
plus the reused W3C terms ecomap's records use between them, so the picture cannot drift from the model."""

from __future__ import annotations

from dataclasses import dataclass
from xml.sax.saxutils import escape

ECO = "/def/ecosystem/"
ORG, FOAF, DCTERMS, SKOS, W3ORG = (
    "http://www.w3.org/ns/org#",
    "http://xmlns.com/foaf/0.1/",
    "http://purl.org/dc/terms/",
    "http://www.w3.org/2004/02/skos/core#",
    "http://www.w3.org/ns/org#",
)
# Class (as the ontology names it), label, and the centre of its box.
BOXES = {
    "eco:Relationship": ("Relationship", 130, 60),
    ORG + "Organization": ("Organisation", 500, 60),
    DCTERMS + "Location": ("Place (GSS code)", 870, 60),
    "eco:Activity": ("Activity", 130, 280),
    FOAF + "Agent": ("Agent (organisation or person)", 500, 280),
    FOAF + "Person": ("Person", 870, 280),
    SKOS + "Concept": ("Concept (priority area, pillar…)", 130, 500),
    "eco:Strategy": ("Strategy", 500, 500),
    W3ORG + "Post": ("Post", 870, 500),
}
# Terms the ontology reuses from W3C vocabularies, and eco:supports, whose range it leaves open (a concept or
# a strategy), with the classes they link in ecomap's records.
EXPLICIT = [
    ("eco:Activity", SKOS + "Concept", "eco:supports"),
    ("eco:Activity", "eco:Strategy", "eco:supports"),
    ("eco:Activity", DCTERMS + "Location", "dcterms:spatial"),
    (FOAF + "Person", W3ORG + "Post", "org:holds"),
    (W3ORG + "Post", ORG + "Organization", "org:postIn"),
    (SKOS + "Concept", "eco:Strategy", "inScheme/isDefinedBy"),
    ("eco:Strategy", "eco:Strategy", "dcterms:isPartOf"),
]
BOX_W, BOX_H = 210, 44


@dataclass(frozen=True)
class Arrow:
    source: str
    target: str
    label: str


def arrows(object_properties: list[tuple[str, str, str]], base: str) -> list[Arrow]:
    """The arrows: each (property, domain, range) of the ontology between two boxes, then the explicit ones."""

    def named(iri: str) -> str:
        return "eco:" + iri[len(base + ECO) :] if iri.startswith(base + ECO) else iri

    found = [
        Arrow(named(domain), named(range_), "eco:" + prop[len(base + ECO) :])
        for prop, domain, range_ in object_properties
        if named(domain) in BOXES and named(range_) in BOXES and prop.startswith(base + ECO)
    ]
    return sorted(found, key=lambda a: a.label) + [Arrow(d, r, label) for d, r, label in EXPLICIT]


def as_svg(drawn: list[Arrow]) -> str:
    width, height = 1000, 560
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="Arial, Helvetica, sans-serif" font-size="12" role="img" aria-labelledby="model-title">',
        '<title id="model-title">ecomap\'s main classes and the properties that link them</title>',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M 0 0 L 10 5 L 0 10 z" fill="#505a5f"/></marker></defs>',
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
    ]
    grouped: dict[tuple[str, str], list[str]] = {}
    for arrow in drawn:
        grouped.setdefault((arrow.source, arrow.target), []).append(arrow.label)
    for (source, target), labels in grouped.items():
        (_, x1, y1), (_, x2, y2) = BOXES[source], BOXES[target]
        title = escape(", ".join(labels))
        if source == target:
            parts.append(
                f'<path d="M {x1 - 30} {y1 + BOX_H / 2} c 0 40 60 40 60 0" fill="none" stroke="#505a5f" '
                f'marker-end="url(#arrow)"><title>{title}</title></path>'
            )
            parts.append(_label(x1, y1 + BOX_H / 2 + 44, labels))
            continue
        sx, sy, ex, ey = _edge(x1, y1, x2, y2)
        parts.append(
            f'<line x1="{sx:.0f}" y1="{sy:.0f}" x2="{ex:.0f}" y2="{ey:.0f}" stroke="#505a5f" '
            f'marker-end="url(#arrow)"><title>{title}</title></line>'
        )
        # Diagonals cross the middle row: label one going down near its start, one going up near its end.
        along = 0.5 if sx == ex or sy == ey else (0.22 if ey > sy else 0.7)
        parts.append(_label(sx + (ex - sx) * along, sy + (ey - sy) * along - 6 * len(labels), labels))
    for name, (label, x, y) in BOXES.items():
        parts.append(
            f'<rect x="{x - BOX_W / 2}" y="{y - BOX_H / 2}" width="{BOX_W}" height="{BOX_H}" rx="4" fill="#f3f2f1" '
            f'stroke="#0b0c0c"><title>{escape(name)}</title></rect>'
            f'<text x="{x}" y="{y + 4}" text-anchor="middle" font-weight="bold">{escape(label)}</text>'
        )
    parts.append("</svg>")
    return "\n".join(parts)


def _edge(x1: float, y1: float, x2: float, y2: float) -> tuple[float, float, float, float]:
    """From the edge of one box to the edge of the other, along the line between their centres."""

    def exit_point(x: float, y: float, dx: float, dy: float) -> tuple[float, float]:
        scale = min(
            (BOX_W / 2) / abs(dx) if dx else float("inf"),
            (BOX_H / 2) / abs(dy) if dy else float("inf"),
        )
        return x + dx * scale, y + dy * scale

    sx, sy = exit_point(x1, y1, x2 - x1, y2 - y1)
    ex, ey = exit_point(x2, y2, x1 - x2, y1 - y2)
    return sx, sy, ex, ey


def _label(x: float, y: float, lines: list[str]) -> str:
    """An arrow's property names, one per line, haloed in white so that they stay legible over lines."""
    spans = "".join(f'<tspan x="{x:.0f}" dy="{0 if i == 0 else 14}">{escape(t)}</tspan>' for i, t in enumerate(lines))
    return (
        f'<text x="{x:.0f}" y="{y:.0f}" text-anchor="middle" fill="#0b0c0c" paint-order="stroke" stroke="#ffffff" '
        f'stroke-width="4">{spans}</text>'
    )

"""The gap analysis as a picture: the coverage matrix (``queries/coverage-matrix.rq``) as a heatmap, in HTML for
people and as SVG or PNG for reports. One scale for all three, so a cell looks the same everywhere.

A cell's shade grows with the number of organisations; a zero is drawn as a gap where records were collected
for that place, and as "nothing collected" where none were (docs/where.md), so that a sparsely mapped place
is not mistaken for an empty ecosystem."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any
from xml.sax.saxutils import escape

SCHEMES = ("m1-priority-area", "m1-principle", "nds-pillar", "nds-mission", "ai-strategy-pillar")
# Sequential blues (lightest to darkest); text turns white from the fourth shade on, for contrast.
SHADES = ("#deebf7", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
GAP, NOT_COLLECTED = "#ffffff", "#e5e5e5"
CELL_W, CELL_H, LABEL_W, HEADER_H = 64, 36, 360, 150


@dataclass(frozen=True)
class Place:
    iri: str
    label: str
    records: int
    sources: int
    last_reviewed: str


@dataclass(frozen=True)
class Cell:
    organisations: int
    activities: int
    collected: bool

    def level(self, highest: int) -> int:
        """0 for a zero, else 1 to 5 in proportion to the highest count in the matrix."""
        if self.organisations == 0:
            return 0
        return max(1, min(len(SHADES), round(len(SHADES) * self.organisations / max(highest, 1))))

    def fill(self, highest: int) -> str:
        level = self.level(highest)
        if level == 0:
            return GAP if self.collected else NOT_COLLECTED
        return SHADES[level - 1]

    def describe(self) -> str:
        if self.organisations:
            organisations = f"{self.organisations} organisation{'s' * (self.organisations != 1)}"
            return f"{organisations}, {self.activities} activit{'ies' if self.activities != 1 else 'y'}"
        return "none: a gap" if self.collected else "none, and nothing collected here"


@dataclass
class Matrix:
    scheme: str
    concepts: list[tuple[str, str]] = field(default_factory=list)
    places: list[Place] = field(default_factory=list)
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)

    @property
    def highest(self) -> int:
        return max((c.organisations for c in self.cells.values()), default=0)

    @property
    def size(self) -> tuple[int, int]:
        """The drawing's width and height: the labels, one column per place, one row per concept, the legend."""
        return LABEL_W + CELL_W * len(self.places) + 20, HEADER_H + CELL_H * len(self.concepts) + 70

    def cell(self, concept: str, place: str) -> Cell:
        return self.cells[(concept, place)]


def matrix_from_rows(scheme: str, rows: list[dict[str, Any]]) -> Matrix:
    """The matrix from the saved query's rows (ordered by concept, then place)."""
    matrix = Matrix(scheme)
    seen_concepts: set[str] = set()
    seen_places: set[str] = set()
    for row in rows:
        concept, place = row["concept"].value, row["place"].value
        if concept not in seen_concepts:
            seen_concepts.add(concept)
            matrix.concepts.append((concept, row["concept_label"].value))
        records = int(row["records_collected"].value)
        if place not in seen_places:
            seen_places.add(place)
            last = row["last_reviewed"].value[:10] if "last_reviewed" in row else ""
            matrix.places.append(
                Place(place, row["place_label"].value, records, int(row["sources_collected"].value), last)
            )
        matrix.cells[(concept, place)] = Cell(
            int(row["organisations"].value), int(row["activities"].value), records > 0
        )
    return matrix


def as_svg(matrix: Matrix, title: str) -> str:
    """A standalone SVG heatmap, for reports: places across, concepts down, counts in the cells."""
    width, height = matrix.size
    highest = matrix.highest
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        'font-family="Arial, Helvetica, sans-serif" font-size="13">',
        f"<title>{escape(title)}</title>",
        f'<rect width="{width}" height="{height}" fill="#ffffff"/>',
        f'<text x="10" y="24" font-size="17" font-weight="bold">{escape(title)}</text>',
    ]
    for i, place in enumerate(matrix.places):
        x = LABEL_W + CELL_W * i + CELL_W / 2
        parts.append(
            f'<text x="{x}" y="{HEADER_H - 8}" transform="rotate(-50 {x} {HEADER_H - 8})">{escape(place.label)}</text>'
        )
    for j, (concept, label) in enumerate(matrix.concepts):
        y = HEADER_H + CELL_H * j
        parts.append(f'<text x="10" y="{y + CELL_H / 2 + 5}">{escape(_shortened(label, 48))}</text>')
        for i, place in enumerate(matrix.places):
            cell = matrix.cell(concept, place.iri)
            x = LABEL_W + CELL_W * i
            parts.append(
                f'<rect x="{x}" y="{y}" width="{CELL_W}" height="{CELL_H}" fill="{cell.fill(highest)}" '
                f'stroke="#b1b4b6"><title>{escape(f"{label}, {place.label}: {cell.describe()}")}</title></rect>'
            )
            colour = "#ffffff" if cell.level(highest) >= 4 else "#0b0c0c"
            parts.append(
                f'<text x="{x + CELL_W / 2}" y="{y + CELL_H / 2 + 5}" text-anchor="middle" fill="{colour}">'
                f"{cell.organisations}</text>"
            )
    legend_y = HEADER_H + CELL_H * len(matrix.concepts) + 30
    parts.append(
        f'<text x="10" y="{legend_y}">Organisations per cell. White: none, though records were collected there; '
        f"grey: nothing collected there. Where: docs/where.md.</text>"
    )
    parts.append("</svg>")
    return "\n".join(parts)


def as_png(matrix: Matrix, title: str) -> bytes:
    """The same heatmap as a PNG, drawn with Pillow (no browser or Cairo needed)."""
    from PIL import Image, ImageDraw, ImageFont  # only the PNG download needs Pillow

    width, height = matrix.size
    image = Image.new("RGB", (width, height), "#ffffff")
    draw = ImageDraw.Draw(image)
    font, bold = ImageFont.load_default(size=13), ImageFont.load_default(size=17)
    draw.text((10, 10), title, fill="#0b0c0c", font=bold)
    for i, place in enumerate(matrix.places):
        caption = Image.new("RGBA", (HEADER_H, 20), (255, 255, 255, 0))
        ImageDraw.Draw(caption).text((0, 2), _shortened(place.label, 22), fill="#0b0c0c", font=font)
        rotated = caption.rotate(50, expand=True)
        image.paste(rotated, (LABEL_W + CELL_W * i, HEADER_H - rotated.height), rotated)
    highest = matrix.highest
    for j, (concept, label) in enumerate(matrix.concepts):
        y = HEADER_H + CELL_H * j
        draw.text((10, y + CELL_H / 2 - 8), _shortened(label, 48), fill="#0b0c0c", font=font)
        for i, place in enumerate(matrix.places):
            cell = matrix.cell(concept, place.iri)
            x = LABEL_W + CELL_W * i
            draw.rectangle((x, y, x + CELL_W, y + CELL_H), fill=cell.fill(highest), outline="#b1b4b6")
            colour = "#ffffff" if cell.level(highest) >= 4 else "#0b0c0c"
            draw.text((x + CELL_W / 2, y + CELL_H / 2), str(cell.organisations), fill=colour, font=font, anchor="mm")
    draw.text(
        (10, HEADER_H + CELL_H * len(matrix.concepts) + 22),
        "Organisations per cell. White: none, though records were collected there; grey: nothing collected there.",
        fill="#0b0c0c",
        font=font,
    )
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _shortened(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"

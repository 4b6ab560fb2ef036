"""Reading and writing spreadsheets as contributors really save them: CSV with or without a byte-order mark,
in UTF-8 or Windows-1252 (so Welsh ŵ and ŷ survive either way), and XLSX."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from openpyxl import Workbook, load_workbook
from openpyxl.comments import Comment
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.worksheet import Worksheet
from openpyxl.writer.excel import ExcelWriter

from graph.contributions.template import Column

if TYPE_CHECKING:
    from _typeshed import SizedBuffer, StrPath

# How large a workbook may grow when unzipped: a 5 MB upload of repetitive XML can expand a thousandfold. Python's
# zipfile never inflates a member past the size its directory gives (it fails the checksum there), so the sizes
# given are a bound that holds.
MAX_EXPANDED_BYTES = 64 * 2**20


class SheetError(ValueError):
    """A spreadsheet that cannot be read as the template."""


class SheetTooLargeError(SheetError):
    """A workbook that would expand past ``MAX_EXPANDED_BYTES`` when unzipped."""


def decode(data: bytes) -> str:
    """UTF-8 (with or without a byte-order mark), else Windows-1252, as Excel saves CSV on Windows."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def read_csv(data: bytes) -> list[dict[str, str]]:
    rows = list(csv.DictReader(io.StringIO(decode(data), newline="")))
    if not rows:
        raise SheetError("The spreadsheet has no rows under its header.")
    return [{(k or "").strip(): (v or "") for k, v in row.items() if k is not None} for row in rows]


def read_xlsx(data: bytes) -> list[dict[str, str]]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(member.file_size for member in archive.infolist())
    except zipfile.BadZipFile:
        raise SheetError("This is not an XLSX workbook ecomap can read (it is not a zip archive).") from None
    if expanded > MAX_EXPANDED_BYTES:
        raise SheetTooLargeError(
            f"The workbook expands to {expanded / 2**20:,.0f} MB when opened, more than "
            f"{MAX_EXPANDED_BYTES // 2**20} MB: send its rows in several workbooks, or as CSV."
        )
    try:
        sheet = load_workbook(io.BytesIO(data), read_only=True, data_only=True).worksheets[0]
    except Exception as error:  # openpyxl raises many kinds of error for a file that is not XLSX
        raise SheetError(f"This is not an XLSX workbook ecomap can read ({type(error).__name__}).") from None
    cells = [[("" if v is None else str(v)) for v in row] for row in sheet.iter_rows(values_only=True)]
    if len(cells) < 2:
        raise SheetError("The first sheet has no rows under its header.")
    header = [h.strip() for h in cells[0]]
    return [dict(zip(header, row, strict=False)) for row in cells[1:] if any(v.strip() for v in row)]


def template_csv(columns: Sequence[Column]) -> bytes:
    """The header row, in UTF-8 with a byte-order mark so that Excel opens it as UTF-8."""
    out = io.StringIO()
    csv.writer(out).writerow([c.name for c in columns])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


TEMPLATE_STAMP = datetime(2000, 1, 1)  # any fixed time (see template_xlsx): the template describes no moment


def template_xlsx(columns: Sequence[Column]) -> bytes:
    """The template as a workbook: the header in the shapes' order, a note on each heading with the field's group
    and hint (as the form shows them), and a drop-down list for every column of controlled values (kept on a
    second sheet, as Excel limits lists typed into a rule)."""
    book = Workbook()
    # openpyxl stamps the workbook with the time it was made and saved, and the compressed stamp's length varies with
    # its digits: the same template was 9,726 bytes to one request and 9,728 to the next. Fixed stamps keep its size.
    book.properties.created = book.properties.modified = TEMPLATE_STAMP
    sheet = book.active
    assert isinstance(sheet, Worksheet)  # a new workbook's one sheet
    sheet.title = "records"
    sheet.append([c.name for c in columns])
    lists = book.create_sheet("values")
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].width = max(12, len(column.name) + 2)
        sheet.cell(row=1, column=index).comment = Comment(_note(column), "ecomap")
        if not column.values:
            continue
        for row, value in enumerate(column.values, start=1):
            lists.cell(row=row, column=index, value=value)
        source = f"values!${letter}$1:${letter}${len(column.values)}"
        rule = DataValidation(
            type="list", formula1=f"={source}", allow_blank=True, showErrorMessage=not column.multiple
        )
        rule.prompt = column.description[:250]
        rule.error = f"Choose one of the {column.title} values."
        sheet.add_data_validation(rule)
        rule.add(f"{letter}2:{letter}1000")
    out = io.BytesIO()
    ExcelWriter(book, _Undated(out, "w", zipfile.ZIP_DEFLATED)).save()  # book.save would stamp it with now
    return out.getvalue()


class _Undated(zipfile.ZipFile):
    """A zip whose entries are all dated TEMPLATE_STAMP. openpyxl adds most parts by name (dated now) and the
    worksheets from temporary files (dated by their mtime), so the bytes changed every two seconds (zip's grain),
    and a HEAD and a GET of the template either side of a tick had different lengths once compressed."""

    def writestr(
        self,
        zinfo_or_arcname: str | zipfile.ZipInfo,
        data: SizedBuffer | str,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        if isinstance(zinfo_or_arcname, str):
            zinfo_or_arcname = zipfile.ZipInfo(zinfo_or_arcname)
            zinfo_or_arcname.compress_type = self.compression
            zinfo_or_arcname.external_attr = 0o600 << 16  # as zipfile gives an entry added by name
        zinfo_or_arcname.date_time = TEMPLATE_STAMP.timetuple()[:6]
        super().writestr(zinfo_or_arcname, data, compress_type, compresslevel)

    def write(
        self,
        filename: StrPath,
        arcname: StrPath | None = None,
        compress_type: int | None = None,
        compresslevel: int | None = None,
    ) -> None:
        name = arcname if arcname is not None else filename
        self.writestr(str(name), Path(filename).read_bytes(), compress_type, compresslevel)


def _note(column: Column) -> str:
    """A heading's note: for each kind of record the column serves, the group it is in and its hint."""
    if not column.placings:
        return column.description
    return "\n".join(f"{record.capitalize()}, {p.group}: {p.hint}" for record, p in column.placings)

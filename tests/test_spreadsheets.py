"""Contributions as spreadsheets: the template comes from the shapes, and a faulty row is named by row and column."""

from __future__ import annotations

import csv
import io
import time
import zipfile

import openpyxl
import pytest
import rdflib
import web
from conftest import BASE, SAME_OVER_EITHER, one_pass, start_app, stop_server
from helpers import pending
from rdflib.namespace import SH

from graph.catalogue import ROOT, shape_files
from graph.contributions.sheets import TEMPLATE_STAMP, template_xlsx
from graph.contributions.template import columns
from graph.contributions.validation import Validator

pytestmark = one_pass("embedded", SAME_OVER_EITHER)

EXAMPLES = ROOT / "docs" / "examples"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(scope="module")
def sheets_server(tmp_path_factory):

    folder = tmp_path_factory.mktemp("sheets")
    server = start_app(folder, ECOMAP_SUBMISSIONS_PER_MINUTE="1000")
    made = server.ecomap("users", "add", "moira", "--role", "moderator")
    yield server, made.stdout.strip().splitlines()[-1]
    stop_server(server)


def submit(server, body: bytes, media_type="text/csv", **params):
    return web.post(
        server.url + "/submissions",
        content=body,
        headers={"Content-Type": media_type},
        params={"accept_terms": "true", **params},
    )


def test_the_template_and_its_csvw_description_come_from_the_shapes(sheets_server):
    server, _ = sheets_server
    template = web.get(server.url + "/submissions/template.csv")
    assert template.content.startswith("\ufeff".encode())  # a byte-order mark, so Excel reads UTF-8
    header = next(csv.reader(io.StringIO(template.content.decode("utf-8-sig"))))
    assert header[:3] == ["row", "record", "iri"]
    assert {
        "name",
        "welsh_name",
        "kind_of_organisation",
        "company_number",
        "supports",
        "from_organisation",
        "kind_of_relationship",
    } <= set(header)
    described = web.get(server.url + "/submissions/template.csv-metadata.json").json()
    columns = {c["name"]: c for c in described["tableSchema"]["columns"]}
    assert set(columns) == set(header)
    assert "charity-or-non-profit" in columns["kind_of_organisation"]["datatype"]["format"]
    assert columns["supports"]["separator"] == ";"
    assert "8 characters" in columns["company_number"]["dc:description"]


def test_the_xlsx_template_offers_drop_down_lists_for_controlled_values(sheets_server):
    server, _ = sheets_server
    book = openpyxl.load_workbook(io.BytesIO(web.get(server.url + "/submissions/template.xlsx").content))
    sheet = book["records"]
    header = [cell.value for cell in sheet[1]]
    kind_column = sheet.cell(row=1, column=header.index("kind_of_organisation") + 1).column_letter
    rules = [rule for rule in sheet.data_validations.dataValidation if str(rule.sqref).startswith(kind_column)]
    assert rules and rules[0].type == "list"
    values = [
        row[0]
        for row in book["values"].iter_rows(
            min_col=header.index("kind_of_organisation") + 1,
            max_col=header.index("kind_of_organisation") + 1,
            values_only=True,
        )
        if row[0]
    ]
    assert "company" in values and "charity-or-non-profit" in values


def test_a_mistake_is_named_by_row_and_column_then_the_fixed_sheet_goes_through(sheets_server):
    server, token = sheets_server
    wrong = submit(server, (EXAMPLES / "organisations-with-a-mistake.csv").read_bytes())
    assert wrong.status_code == 422
    problems = [r for record in wrong.json()["records"] for r in record["results"] if r["severity"] == "Violation"]
    assert [(p["row"], p["column"], p["value"]) for p in problems] == [
        (2, "kind_of_organisation", "<def/organisation-kind/charity>")
    ]
    assert "choose from /def/organisation-kind" in problems[0]["message"]

    stored = submit(server, (EXAMPLES / "organisations.csv").read_bytes())
    assert stored.status_code == 201, stored.text
    # A relationship's key names its parties, never the spreadsheet-local row id ("rel1"), which would collide
    relationship = "http://127.0.0.1:8000/data/relationship/swansea-data-collective-member-of-odi"
    assert relationship in stored.json()["records"]
    submission = stored.json()["id"]
    approved = web.post(server.url + f"/submissions/{submission}/approve", headers={"Authorization": f"Bearer {token}"})
    assert approved.status_code == 200
    page = web.get(server.url + "/doc/organisation/swansea-data-collective", headers={"Accept": "text/html"}).text
    assert "Cydweithfa Data Abertawe" in page and "Data skills evenings" in page
    assert "is a member of" in page and "Open Data Institute" in page


def test_cells_that_cannot_be_read_are_named(sheets_server):
    server, _ = sheets_server
    sheet = b"row,record,name,wibble\nr1,organisation,X,1\nr2,gadget,Y,\n"
    response = submit(server, sheet)
    assert response.status_code == 422
    assert {(p["row"], p["column"]) for p in response.json()["problems"]} == {(1, "wibble"), (3, "record")}


def test_a_control_character_in_a_cell_is_named_by_row_and_column_and_nothing_is_kept(sheets_server):
    """XML cannot carry it: kept, it would make every RDF/XML page and SPARQL XML answer showing it unreadable."""
    server, token = sheets_server
    sheet = b"row,record,name,description\nr1,organisation,Bell Data Ltd,Rings\x07 a bell\n"
    before = pending(server, token)
    response = submit(server, sheet)
    assert response.status_code == 422
    [problem] = response.json()["problems"]
    assert (problem["row"], problem["column"]) == (2, "description")
    assert "control character U+0007" in problem["message"] and "leave it out" in problem["message"]
    assert pending(server, token) == before


@pytest.mark.parametrize(
    ("encoded", "name"),
    [
        (
            "\ufeffrow,record,name,source\nr1,organisation,Ŵyr Data Ŷd,https://x.example/\n".encode("utf-8"),
            "Ŵyr Data Ŷd",
        ),
        ("row,record,name,source\nr1,organisation,Ŵyr Data Ŷd,https://x.example/\n".encode(), "Ŵyr Data Ŷd"),
        ("row,record,name,source\nr1,organisation,Caffè Data £,https://x.example/\n".encode("cp1252"), "Caffè Data £"),
    ],
)
def test_csv_as_spreadsheets_really_save_it(sheets_server, encoded, name):
    server, _ = sheets_server
    response = submit(server, encoded, dry_run="true")
    assert response.status_code == 200, response.text
    assert response.json()["valid"] is True


def test_a_registry_number_matches_the_organisation_already_on_the_map(sheets_server):
    server, _ = sheets_server
    sheet = b"row,record,name,company_number,source\nr1,organisation,Open Data Institute,8030289,https://theodi.org/\n"
    response = submit(server, sheet, dry_run="true")
    assert response.json()["records"] == ["http://127.0.0.1:8000/data/organisation/odi"]


def test_an_xlsx_workbook_is_read_like_the_csv(sheets_server):
    server, _ = sheets_server
    book = openpyxl.Workbook()
    sheet = book.active
    for row in csv.reader(io.StringIO((EXAMPLES / "organisations.csv").read_text(encoding="utf-8"))):
        sheet.append([value.replace("swansea", "cardiff").replace("Swansea", "Cardiff") for value in row])
    out = io.BytesIO()
    book.save(out)
    response = submit(server, out.getvalue(), media_type=XLSX, dry_run="true")
    assert response.status_code == 200, response.text
    assert "http://127.0.0.1:8000/data/organisation/cardiff-data-collective" in response.json()["records"]
    assert submit(server, b"not a workbook", media_type=XLSX).status_code == 400


def test_a_workbook_that_would_unzip_to_hundreds_of_megabytes_is_refused_unopened(sheets_server):
    """A zip bomb: a workbook of a few hundred kilobytes whose sheet, padded with 200 MB of spaces (valid XML),
    would take the worker seconds and gigabytes to read, on the thread every request shares."""
    server, token = sheets_server
    book = openpyxl.Workbook()
    book.active.append(["row", "record", "name"])
    book.active.append(["r1", "organisation", "Padded Data Ltd"])
    plain = io.BytesIO()
    book.save(plain)
    bomb = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as padded:
        for member in source.infolist():
            content = source.read(member)
            if member.filename == "xl/worksheets/sheet1.xml":
                content = content.replace(b"<sheetData>", b"<sheetData>" + b" " * 200 * 2**20)
            padded.writestr(member.filename, content)
    assert len(bomb.getvalue()) < 1024 * 1024
    before = pending(server, token)
    response = submit(server, bomb.getvalue(), media_type=XLSX, accept_terms="true")
    assert response.status_code == 413
    assert "expands to 200 MB" in response.json()["error"] and "more than 64 MB" in response.json()["error"]
    assert pending(server, token) == before


def test_the_template_s_columns_follow_the_shapes_order_and_carry_their_hints(sheets_server):
    """Issue 21: the form's order and wording come from the shapes, so the template gains them too: the columns
    in the order a person thinks in, and each heading's note the hint the form shows."""
    server, _ = sheets_server
    header = next(
        csv.reader(io.StringIO(web.get(server.url + "/submissions/template.csv").content.decode("utf-8-sig")))
    )
    assert header[3:11] == [
        "name",
        "welsh_name",
        "kind_of_organisation",
        "description",
        "website",
        "based_in",
        "operates_in",
        "authority_for",
    ]
    book = openpyxl.load_workbook(io.BytesIO(web.get(server.url + "/submissions/template.xlsx").content))
    notes = {cell.value: cell.comment.text for cell in book["records"][1]}
    assert [cell.value for cell in book["records"][1]] == header
    shapes = shape_graph(server.url)
    website = shapes.value(rdflib.URIRef(server.url + "/def/shapes/organisation-website"), SH.description)
    assert notes["website"] == f"Organisation, About the organisation: {website}"
    assert "Organisation, " in notes["description"] and "\nActivity, About the activity: " in notes["description"]


def shape_graph(base: str) -> rdflib.Graph:
    shapes = rdflib.Graph()
    for path in shape_files():
        shapes.parse(path, publicID=base + "/")
    return shapes


def test_moving_a_field_in_the_shapes_moves_it_in_the_template_and_a_field_without_a_place_is_refused():
    base = "http://ecomap.test"
    validator = Validator.from_repository(base)
    shapes = shape_graph(base)
    shp = rdflib.Namespace(base + "/def/shapes/")
    order = [c.name for c in columns(shapes, validator.context, base)]
    assert order.index("description") < order.index("website")
    shapes.set((shp["organisation-website"], SH.order, rdflib.Literal(0.5)))
    moved = [c.name for c in columns(shapes, validator.context, base)]
    assert moved.index("website") < moved.index("name") < moved.index("description")
    shapes.remove((shp["organisation-website"], SH.group, None))
    with pytest.raises(ValueError, match="'website' needs its sh:group, sh:order and sh:description"):
        columns(shapes, validator.context, base)


def test_the_workbook_template_is_the_same_bytes_whenever_it_is_made():
    """openpyxl stamped the workbook with the time it was saved, and the compressed stamp's length varied with its
    digits: a HEAD and a GET of the template a second apart gave 9,726 and 9,728 bytes. Its zip entries were dated
    too (to the two seconds zip keeps), so a HEAD and a GET either side of a tick gave 9,725 and 9,721 once gzipped."""
    validator = Validator.from_repository(BASE)
    made = columns(validator.shapes, validator.context, BASE)
    first = template_xlsx(made)
    time.sleep(2.2)
    second = template_xlsx(made)
    assert first == second
    with zipfile.ZipFile(io.BytesIO(second)) as archive:
        assert {entry.date_time for entry in archive.infolist()} == {TEMPLATE_STAMP.timetuple()[:6]}
    properties = openpyxl.load_workbook(io.BytesIO(second)).properties
    assert properties.created == properties.modified == TEMPLATE_STAMP

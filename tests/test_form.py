"""The HTML form: its fields come from the shapes, it starts from a published record, and a mistake is shown
beside the field it concerns, with what was typed kept."""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import urlencode

import pytest
import rdflib
import web
from conftest import SAME_OVER_EITHER, one_pass, start_app, stop_server
from helpers import pending
from rdflib.namespace import SH

from graph.catalogue import shape_files

pytestmark = one_pass("remote", SAME_OVER_EITHER)


@pytest.fixture(scope="module")
def form_server(tmp_path_factory):
    server = start_app(tmp_path_factory.mktemp("form"), ECOMAP_SUBMISSIONS_PER_MINUTE="1000")
    made = server.ecomap("users", "add", "moira", "--role", "moderator")
    yield server, made.stdout.strip().splitlines()[-1]
    stop_server(server)


class Controls(HTMLParser):
    """The form's controls as a browser reads them: each input and textarea, with its type, name, value, whether it
    is ticked, and the heading of the choice group it sits in."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.controls: list[dict[str, str | bool | None]] = []
        self.heading: str | None = None
        self._in: str | None = None
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "input":
            self.controls.append(found | {"checked": "checked" in found, "group": self.heading})
        elif tag == "textarea":
            self.controls.append(found | {"type": "textarea", "value": "", "checked": False})
        elif tag in ("summary", "p") and "choice-heading" in (found.get("class") or ""):
            self._in, self.heading = "heading", ""
        self._in = "textarea" if tag == "textarea" else self._in

    def handle_data(self, data: str) -> None:
        if self._in == "textarea":
            self.controls[-1]["value"] = str(self.controls[-1]["value"]) + data
        elif self._in == "heading":
            self.heading = (self.heading or "") + data

    def handle_endtag(self, tag: str) -> None:
        if tag in ("textarea", "summary", "p"):
            self._in = None

    def sent(self) -> list[tuple[str, str]]:
        """What a browser sends: text, hidden fields and ticked boxes, not the licence box."""
        return [
            (str(c["name"]), str(c["value"] or ""))
            for c in self.controls
            if c.get("name")
            and c["name"] != "accept_terms"
            and (c.get("type") not in ("checkbox", "radio") or c["checked"])
        ]

    def boxes(self, field: str) -> list[dict[str, str | bool | None]]:
        return [c for c in self.controls if c.get("name") == field and c.get("type") in ("checkbox", "radio")]


def selected(html: str, field: str) -> list[str]:
    boxes = Controls(html).boxes(field)
    assert boxes, f"no choice for {field}"
    return [str(b["value"]) for b in boxes if b["checked"]]


def error_beside(html: str, field: str) -> list[str]:
    group = re.search(
        rf'<div class="form-group form-group-error">\s*<label for="{re.escape(field)}">.*?</div>', html, re.S
    )
    return (
        re.findall(
            r'<p class="error-message"[^>]*><span class="visually-hidden">Error:</span> (.*?)</p>', group.group(0)
        )
        if group
        else []
    )


def test_the_form_offers_the_controlled_lists_from_the_vocabularies(form_server):
    server, _ = form_server
    page = web.get(server.url + "/submit")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    controls = Controls(page.text)
    kinds = controls.boxes("organisation.kind_of_organisation")
    assert "charity-or-non-profit" in [k["value"] for k in kinds] and {k["type"] for k in kinds} == {"checkbox"}
    places = {str(p["value"]): p["group"] for p in controls.boxes("organisation.based_in")}
    assert places["W92000004"] == places["S92000003"] == "The nations"
    assert places["E47000001"] == "England: Combined authority areas (18)"
    assert "<select" not in page.text
    assert 'name="activity3.name"' in page.text and 'name="activity4.name"' not in page.text


def test_starting_from_a_published_organisation_fills_in_what_is_known(form_server):
    server, _ = form_server
    page = web.get(server.url + "/submit", params={"start": "id/organisation/odi", "claim": "1"})
    assert 'value="Open Data Institute"' in page.text
    assert "charity-or-non-profit" in selected(page.text, "organisation.kind_of_organisation")
    assert re.search(r'name="activity1.name" type="text" value="[^"]+"', page.text)
    assert re.search(r'name="iri" value="http[^"]*/id/organisation/odi"', page.text)
    assert re.search(r'name="activity1.iri" value="http[^"]*/id/activity/[^"]+"', page.text)
    assert 'name="claim" value="1"' in page.text and "work e-mail address</strong> (required)" in page.text


def test_a_mistake_is_shown_beside_its_field_and_nothing_typed_is_lost(form_server):
    server, _ = form_server
    sent = web.post(
        server.url + "/submit",
        data={
            "organisation.name": "<b>Bold</b> Data Ltd",
            "organisation.company_number": "123456789",
            "organisation.kind_of_organisation": "company",
            "activity1.name": "Open Data Week",
            "activity1.start_date": "2024-13-40",
            "accept_terms": "yes",
        },
    )
    assert sent.status_code == 422
    assert error_beside(sent.text, "organisation.company_number"), sent.text
    assert error_beside(sent.text, "activity1.start_date")
    assert 'value="&lt;b&gt;Bold&lt;/b&gt; Data Ltd"' in sent.text and "<b>Bold</b>" not in sent.text
    assert selected(sent.text, "organisation.kind_of_organisation") == ["company"]
    summary = re.search(r'<div class="error-summary".*?</div>', sent.text, re.S).group(0)
    assert 'href="#organisation.company_number"' in summary and 'href="#activity1.start_date"' in summary


def test_a_control_character_pasted_into_a_field_is_shown_beside_it_and_nothing_is_kept(form_server):
    """XML cannot carry it: kept, it would make every RDF/XML page and SPARQL XML answer showing it unreadable."""
    server, token = form_server
    before = pending(server, token)
    sent = web.post(
        server.url + "/submit",
        data={
            "organisation.name": "Null Data Ltd",
            "organisation.description": "A company that looks after\x00 data.",
            "organisation.kind_of_organisation": "company",
            "contact": "someone@example.org",
            "accept_terms": "yes",
        },
    )
    assert sent.status_code == 422
    [message] = error_beside(sent.text, "organisation.description")
    assert "control character U+0000" in message and "leave it out" in message
    assert pending(server, token) == before


def test_licence_and_claim_need_the_contributors_say_so(form_server):
    server, _ = form_server
    sent = web.post(server.url + "/submit", data={"organisation.name": "Quiet Data CIC", "claim": "1"})
    assert sent.status_code == 422
    assert "Open Government Licence" in sent.text and "speak for the organisation" in sent.text


def test_a_valid_form_is_kept_pending_for_an_editor_with_advice(form_server):
    server, token = form_server
    sent = web.post(
        server.url + "/submit",
        data={
            "organisation.name": "Form Test Data Trust",
            "organisation.description": "A trust that looks after data for its members.",
            "organisation.kind_of_organisation": "charity-or-non-profit",
            "activity1.name": "Form Test Data Clinic",
            "activity1.description": "A monthly clinic for data questions.",
            "contact": "someone@example.org",
            "accept_terms": "yes",
        },
    )
    assert sent.status_code == 201, sent.text
    assert "Say where this information comes from" in sent.text
    status_url = re.search(r'href="(/submissions/[0-9a-f]+)"', sent.text).group(1)
    status = web.get(server.url + status_url).json()
    assert status["status"] == "pending" and "someone@example.org" not in str(status)
    review = web.get(f"{server.url}/submissions/{status['id']}/review", headers={"Authorization": f"Bearer {token}"})
    assert review.status_code == 200 and "Form Test Data Clinic" in review.text
    public = web.get(server.url + "/id/organisation/form-test-data-trust", follow_redirects=True)
    assert public.status_code == 404


def form_values(html: str) -> list[tuple[str, str]]:
    """What a browser would send for the form as it stands: text boxes, hidden fields and ticked boxes."""
    return Controls(html).sent()  # the parser reads character references as a browser does


@pytest.mark.parametrize("organisation", ["odi", "nds-forum", "ico", "techuk"])
def test_a_published_record_sent_back_unchanged_changes_nothing(form_server, organisation):
    """Including what the form cannot show or offer: judgements, other names, a strategy an activity supports,
    who hosts an event, a description with a semicolon, a more specific type."""
    server, token = form_server
    page = web.get(server.url + "/submit", params={"start": f"id/organisation/{organisation}"})
    body = urlencode([*form_values(page.text), ("accept_terms", "yes")])
    sent = web.post(server.url + "/submit", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert sent.status_code == 201, re.findall(r'class="error-message"[^>]*>(.*?)</p>', sent.text)
    status_url = re.search(r'href="(/submissions/[0-9a-f]+)"', sent.text).group(1)
    submission = web.get(server.url + status_url).json()["id"]
    review = web.get(
        f"{server.url}/submissions/{submission}/review", headers={"Authorization": f"Bearer {token}"}
    ).json()
    assert [(c["added"], c["removed"]) for c in review["changes"]] == [([], [])], review["changes"]


def test_an_activity_page_offers_the_form_of_the_organisation_that_runs_it(form_server):
    server, _ = form_server
    page = web.get(server.url + "/doc/activity/odi-data-sharing-risk-guide", headers={"Accept": "text/html"})
    link = re.search(r'<a href="(/submit\?start=[^"]+)">Suggest a correction</a>', page.text)
    assert link, "the activity page links to the form"
    form = web.get(server.url + unescape(link.group(1)))
    assert re.search(r'name="iri" value="http[^"]*/id/organisation/odi"', form.text)
    assert 'value="Open Data Institute"' in form.text
    person = web.get(server.url + "/doc/person/sue-daley", headers={"Accept": "text/html"})
    assert person.status_code == 200 and "Suggest a correction" not in person.text


@pytest.mark.parametrize(
    "hidden",
    [
        {"iri": "http://elsewhere.example/id/organisation/x"},
        {"iri": "id/organisation/odi> } } ; DROP ALL ; #"},
        {"iri": "id/activity/odi-data-sharing-risk-guide"},
        {"activity1.iri": "not an iri at all", "activity1.name": "Something"},
    ],
)
def test_a_tampered_hidden_field_gets_a_message_not_a_crash(form_server, hidden):
    server, _ = form_server
    sent = web.post(
        server.url + "/submit", data={"organisation.name": "Tamper Test Ltd", "accept_terms": "yes", **hidden}
    )
    assert sent.status_code == 422
    assert "open it again from the record" in sent.text


def test_columns_the_form_does_not_show_cannot_be_posted_into_a_block(form_server):
    server, _ = form_server
    data = {
        "organisation.name": "Hidden Columns Ltd",
        "organisation.iri": "id/organisation/ico",
        "activity1.name": "Hidden Columns Day",
        "activity1.row": "organisation",
        "activity1.run_by": "id/organisation/odi",
        "accept_terms": "yes",
    }
    sent = web.post(server.url + "/submit", data=data)
    assert sent.status_code == 201, sent.text
    status = web.get(server.url + re.search(r'href="(/submissions/[0-9a-f]+)"', sent.text).group(1)).json()
    assert status["records"] == [f"{status['records'][0].rsplit('/', 1)[0]}/hidden-columns-ltd"]


def test_clearing_a_published_activitys_name_says_how_to_remove_it(form_server):
    server, _ = form_server
    page = web.get(server.url + "/submit", params={"start": "id/organisation/odi"})
    values = [(k, "" if k == "activity1.name" else v) for k, v in form_values(page.text)]
    body = urlencode([*values, ("accept_terms", "yes")])
    sent = web.post(server.url + "/submit", content=body, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert sent.status_code == 422 and "cannot be removed with this form" in sent.text


FIELD = re.compile(
    r'<strong>([^<]+)</strong>(?: \(required\))?</(?:label|legend)>\s*<p class="hint" id="(organisation|activity1)\.'
    r'([^"]+)-hint">([^<]*)</p>'
)


def shapes_order(record_shape: str, base: str) -> list[str]:
    """The fields of a record in the shapes' own terms, read here straight from ``shapes/``: each property shape that
    names a group, by the group's ``sh:order`` then its own (the registry numbers are the identifier shape's)."""
    shapes = rdflib.Graph()
    for path in shape_files():
        shapes.parse(path, publicID=base + "/")
    shp = rdflib.Namespace(base + "/def/shapes/")
    props = [*shapes.objects(shp[record_shape], SH.property)]
    if record_shape == "OrganisationShape":
        props += [*shapes.objects(shp.IdentifierShape, SH.property)]
    placed = {
        str(shapes.value(p, SH.name)): (float(shapes.value(shapes.value(p, SH.group), SH.order)), float(o))
        for p in props
        for o in shapes.objects(p, SH.order)
    }
    return sorted(placed, key=placed.__getitem__)


def test_the_form_asks_in_the_order_and_in_the_words_of_the_shapes(form_server):
    """Issue 21: the fields were in alphabetical order (authority for, based in, charity number…) with hints that
    repeated the label or named paths; now the shapes' sh:group, sh:order and sh:description set both."""
    server, _ = form_server
    page = web.get(server.url + "/submit").text
    fields = FIELD.findall(page)
    for record, shape in (("organisation", "OrganisationShape"), ("activity1", "ActivityShape")):
        shown = [(label, name, hint) for label, block, name, hint in fields if block == record]
        labels = [label.lower() for label, name, _ in shown if name != "welsh_name"]
        expected = [name.lower() for name in shapes_order(shape, server.url) if name.lower() in labels]
        assert labels == expected, (labels, expected)
        assert len(labels) >= 10
        for label, name, hint in shown:
            assert hint and hint.lower() != label.lower() and "/def/" not in hint, (name, hint)
    organisation = [label for label, block, _, _ in fields if block == "organisation"]
    assert organisation[:5] == ["Name", "Name in Welsh", "Kind of organisation", "Description", "Website"]
    assert "Charity number (England and Wales)" in organisation
    headings = re.findall(r'<div class="field-group">\s*<h3>([^<]+)</h3>', page)
    assert headings[:5] == [
        "About the organisation",
        "Where it is and where it works",
        "In registers and other databases",
        "Part of a larger organisation",
        "Where this comes from",
    ]

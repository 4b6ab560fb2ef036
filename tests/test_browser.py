"""Pages in headless Chromium (Debian's chromium and chromedriver): the query editor runs a typed query, pages
use only the app's own assets, and axe-core finds no WCAG 2.2 A/AA violations."""

from __future__ import annotations

import csv
import io
import json
import shutil
from urllib.parse import urlsplit

import pytest
import web
from conftest import BASE, SAME_OVER_EITHER, one_pass, start_app, stop_server
from helpers import seed_census, seed_reading
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.actions.action_builder import ActionBuilder
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from graph.catalogue import ROOT

pytestmark = one_pass("embedded", SAME_OVER_EITHER)

AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
]


@pytest.fixture(scope="module")
def browser():
    chromium, driver = shutil.which("chromium"), shutil.which("chromedriver")
    assert chromium and driver, "make test installs Debian's chromium and chromium-driver"
    options = webdriver.ChromeOptions()
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.binary_location = chromium
    browser = webdriver.Chrome(service=Service(driver), options=options)
    yield browser
    browser.quit()


def wait(browser, seconds=15):
    return WebDriverWait(browser, seconds)


def requested_hosts(browser) -> set[str]:
    urls = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    return {urlsplit(url).netloc for url in urls}


def test_a_query_typed_into_the_editor_returns_rows(server, browser):
    browser.get(server.url + "/sparql")
    editor = wait(browser).until(expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, ".yasqe .CodeMirror")))
    editor.click()
    field = editor.find_element(By.CSS_SELECTOR, "textarea")
    field.send_keys(Keys.CONTROL, "a")
    field.send_keys(Keys.DELETE)
    field.send_keys("SELECT ?name WHERE { <id/organisation/odi> skos:prefLabel ?name }")
    browser.find_element(By.CSS_SELECTOR, ".yasqe_queryButton").click()
    cell = wait(browser).until(
        expected_conditions.presence_of_element_located(
            (By.XPATH, "//div[contains(@class,'yasr')]//td[contains(., 'Open Data Institute')]")
        )
    )
    assert cell.is_displayed()
    assert requested_hosts(browser) == {urlsplit(server.url).netloc}


def test_an_example_query_loads_into_the_editor(server, browser):
    browser.get(server.url + "/sparql")
    wait(browser).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".yasqe .CodeMirror")))
    link = browser.find_element(By.CSS_SELECTOR, "[data-example]")
    link.click()
    text = browser.execute_script("return window.ecomapYasgui.getTab().getQuery()")
    examples = json.loads(browser.find_element(By.ID, "examples").get_attribute("textContent"))
    assert text == examples[int(link.get_attribute("data-example"))]["query"]


def test_from_the_landing_page_to_an_organisation_and_its_activities(server, browser):
    browser.get(server.url + "/")
    browser.find_element(By.LINK_TEXT, "Browse the organisations").click()
    # The list comes a page at a time, by name: a person reads on, page by page, until the organisation is there.
    pages = len(seed_census().organisations) // 10 + 1  # more than enough, whatever the size of a page
    for _ in range(pages):
        if found := browser.find_elements(By.LINK_TEXT, "Open Data Institute"):
            break
        browser.find_element(By.LINK_TEXT, "Next page").click()
    assert found, "the Open Data Institute is on a page of the list"
    found[0].click()
    wait(browser).until(expected_conditions.title_contains("Open Data Institute"))
    assert browser.current_url.endswith("/doc/organisation/odi")
    browser.find_element(By.PARTIAL_LINK_TEXT, "ODI guide to assessing").click()
    wait(browser).until(expected_conditions.title_contains("ODI guide"))
    principles = browser.find_element(By.PARTIAL_LINK_TEXT, "Support new ways of addressing the risks")
    assert principles.get_attribute("href").endswith("/def/m1-principle/address-risks")
    assert requested_hosts(browser) == {urlsplit(server.url).netloc}


def test_from_an_organisation_to_its_record_s_named_graph_and_every_statement_in_it(server, browser):
    browser.get(server.url + "/doc/organisation/odi")
    browser.find_element(By.LINK_TEXT, "Its record's named graph").click()
    wait(browser).until(expected_conditions.title_contains("/data/organisation/odi"))
    assert browser.current_url.endswith("/data/organisation/odi")
    said = browser.find_element(By.XPATH, "//p[contains(., ' statements.')]").text
    rows = browser.find_elements(By.CSS_SELECTOR, "table.triples tbody tr")
    assert said == f"{len(rows)} statements." and len(rows) > 10
    first = rows[0].find_elements(By.TAG_NAME, "td")
    assert len(first) == 3 and all(cell.is_displayed() and cell.size["width"] > 50 for cell in first)
    browser.find_element(By.LINK_TEXT, "Open Data Institute").click()
    wait(browser).until(expected_conditions.title_contains("Open Data Institute"))
    assert requested_hosts(browser) == {urlsplit(server.url).netloc}


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/doc/organisation/odi",
        "/sparql",
        "/def/m1-principle/address-risks",
        "/doc/organisation/no-such",
        "/accessibility",
        "/submit",
        "/doc/organisation/odi/history",
        "/data/organisation/odi",
        "/gaps?scheme=m1-principle",
        "/network",
        "/strategy-map",
        "/queries",
        "/guide",
    ],
)
def test_pages_meet_wcag_2_2_aa_and_run_under_the_security_headers(server, browser, path):
    headers = web.get(server.url + path, headers={"Accept": "text/html"}).headers  # as the browser asks
    policy = headers["content-security-policy"]
    assert "script-src 'self';" in policy and "frame-ancestors 'none'" in policy and "default-src 'self'" in policy
    assert headers["x-content-type-options"] == "nosniff" and headers["referrer-policy"] == "same-origin"
    browser.get_log("browser")  # forget what earlier pages logged
    browser.get(server.url + path)
    wait(browser).until(lambda b: b.execute_script("return document.readyState") == "complete")
    result = axe_violations(browser)
    assert result == [], result
    refused = [e["message"] for e in browser.get_log("browser") if "Content Security Policy" in e["message"]]
    assert refused == []
    assert requested_hosts(browser) <= {urlsplit(server.url).netloc}, "every asset comes from the app itself"


def axe_violations(browser) -> list[dict]:
    browser.execute_script(AXE.read_text(encoding="utf-8"))
    return browser.execute_async_script(
        """const done = arguments[arguments.length - 1];
           axe.run(document, {runOnly: {type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa']}})
              .then(r => done(r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map(n => n.target.join(' ')).slice(0, 3)}))));"""
    )


@pytest.fixture(scope="module")
def form_server(tmp_path_factory):
    """A server of its own, so that what the form sends stays out of the shared server's staging store."""
    server = start_app(tmp_path_factory.mktemp("form"), ECOMAP_SUBMISSIONS_PER_MINUTE="1000")
    yield server
    stop_server(server)


def test_a_correction_through_the_form_from_an_organisation_page(form_server, browser):
    browser.get(form_server.url + "/doc/organisation/odi")
    browser.find_element(By.LINK_TEXT, "Suggest a correction").click()
    wait(browser).until(expected_conditions.title_contains("Add or correct"))
    name = browser.find_element(By.ID, "organisation.name")
    assert name.get_attribute("value") == "Open Data Institute"
    activity = browser.find_element(By.ID, "activity1.name").get_attribute("value")
    assert activity, "the organisation's activities are prefilled"

    browser.find_element(By.ID, "organisation.description").send_keys(" It also runs data courses.")
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    summary = wait(browser).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".error-summary")))
    assert "Open Government Licence" in summary.text
    assert browser.find_element(By.ID, "organisation.description").get_attribute("value").endswith("data courses.")
    assert axe_violations(browser) == []

    browser.find_element(By.ID, "accept_terms").click()
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait(browser).until(expected_conditions.title_contains("Thank you"))
    status = browser.find_element(By.PARTIAL_LINK_TEXT, "/submissions/").get_attribute("href")
    assert web.get(status).json()["status"] == "pending"


def test_pages_work_under_a_content_security_policy_that_allows_only_the_apps_own_scripts(server, browser):
    headers = web.get(server.url + "/sparql", headers={"Accept": "text/html"}).headers
    assert (
        "script-src 'self';" in headers["content-security-policy"]
        and "frame-ancestors 'none'" in headers["content-security-policy"]
    )
    browser.get(server.url + "/sparql")
    wait(browser).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".yasqe .CodeMirror")))
    browser.find_element(By.CSS_SELECTOR, ".yasqe_queryButton").click()
    wait(browser).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".yasr table tbody tr")))
    violations = [entry for entry in browser.get_log("browser") if "Content Security Policy" in entry["message"]]
    assert violations == []


def test_from_the_landing_page_to_the_gap_heatmap_and_a_cell_s_organisations(server, browser):
    browser.get(server.url + "/")
    browser.find_element(By.LINK_TEXT, "the gap analysis").click()
    Select(browser.find_element(By.ID, "scheme")).select_by_value("m1-principle")
    browser.find_element(By.XPATH, "//form[@action='/gaps']//button").click()
    wait(browser).until(expected_conditions.title_contains("principles for intervention"))
    cells = browser.find_elements(By.CSS_SELECTOR, "td.heat[data-count]")
    assert len(cells) == 6 * 14
    # What a cell should say is read from the seed files, "there" as docs/where.md defines it (tests/helpers.py).
    seed = seed_reading()
    concepts = sorted({c.get_attribute("data-concept").removeprefix(f"{BASE}/") for c in cells})
    places = sorted({c.get_attribute("data-place").removeprefix(f"{BASE}/") for c in cells})

    def shown(concept: str, place: str):
        return browser.find_element(
            By.CSS_SELECTOR, f"td.heat[data-concept='{BASE}/{concept}'][data-place='{BASE}/{place}']"
        )

    def organisations(concept: str, place: str) -> set[str]:
        return {organisation for organisation, _ in seed.supporters(concept, place, named=False)}

    incentives = organisations("def/m1-principle/improve-incentives", "id/place/E92000001")
    assert "id/organisation/dcms" in incentives
    cell = shown("def/m1-principle/improve-incentives", "id/place/E92000001")
    assert cell.text == str(len(incentives)) and "heat-0" not in cell.get_attribute("class")
    london = "id/place/E12000007"
    assert seed.records_placing_in(london), "records were collected in London"
    zeros = [concept for concept in concepts if not organisations(concept, london)]
    assert zeros, "a concept nothing in London supports"
    gap = shown(zeros[0], london)
    assert "gap-collected" in gap.get_attribute("class"), "a zero in London, where records were collected"
    nowhere = [place for place in places if not seed.records_placing_in(place)]
    assert nowhere, "the seed has a place where nothing was collected (the East Midlands)"
    empty = shown(concepts[0], nowhere[0])
    assert "gap-empty" in empty.get_attribute("class"), "a zero where nothing was collected"
    cell.find_element(By.TAG_NAME, "a").click()
    wait(browser).until(expected_conditions.title_contains("England"))
    assert browser.find_element(By.LINK_TEXT, "Department for Culture, Media and Sport")
    listed = {a.get_attribute("href").split("/", 3)[3] for a in browser.find_elements(By.CSS_SELECTOR, "main a")}
    assert incentives <= listed, "every organisation counted in the cell is listed"
    assert requested_hosts(browser) == {urlsplit(server.url).netloc}


def test_the_network_map_draws_the_organisations_and_opens_one(server, browser):
    browser.get(server.url + "/")
    browser.find_element(By.LINK_TEXT, "the network map").click()
    drawn = wait(browser).until(lambda b: b.find_element(By.ID, "network").get_attribute("data-ready"))
    listed = web.get(server.url + "/network", params={"format": "json"}).json()
    assert int(drawn) == len(listed["nodes"]) > 20
    assert browser.find_elements(By.CSS_SELECTOR, "#network canvas"), "Cytoscape.js drew on a canvas"
    network = browser.find_element(By.ID, "network")
    # The canvas is taller than the window on the grown map: bring the ODI's disc into view, then click where it is.
    x, y = browser.execute_script(
        """const container = arguments[0], at = container._cyreg.cy.getElementById(arguments[1]).renderedPosition();
           window.scrollTo(0, container.getBoundingClientRect().top + window.scrollY + at.y - window.innerHeight / 2);
           const box = container.getBoundingClientRect();
           return [Math.round(box.left + at.x), Math.round(box.top + at.y)];""",
        network,
        "http://127.0.0.1:8000/id/organisation/odi",
    )
    clicking = ActionBuilder(browser)
    clicking.pointer_action.move_to_location(x, y).click()
    clicking.perform()
    wait(browser).until(expected_conditions.title_contains("Open Data Institute"))
    browser.get(server.url + "/network?place=S92000003")
    # The organisations shown, linked (in the table of links) or not (in the line below it), are those based or
    # working in Scotland, read from the seed files: Smart Data Foundry, based in Scotland, among them; not the ODI.
    shown = {
        a.get_attribute("href").split("/", 3)[3]: a.text
        for a in browser.find_elements(By.CSS_SELECTOR, "main a[href*='/id/organisation/']")
    }
    seed = seed_reading()
    in_scotland = {
        organisation
        for organisation in seed.organisations
        for where in ("basedIn", "operatesIn")
        for place in seed.objects(organisation, seed.eco(where))
        if "id/place/S92000003" in seed.lies_within(place)
    }
    assert shown.keys() & seed.organisations == in_scotland
    assert "Smart Data Foundry" in shown.values() and "Open Data Institute" not in shown.values()
    assert requested_hosts(browser) == {urlsplit(server.url).netloc}


def test_the_form_suggests_concepts_as_a_description_is_typed_and_chooses_one_on_request(form_server, browser):
    browser.get(form_server.url + "/submit")
    description = browser.find_element(By.ID, "activity1.description")
    description.send_keys(
        "Trials of privacy enhancing technologies that let hospitals share patient data confidentially."
    )
    panel = wait(browser).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, "[id='activity1.suggestions'][data-ready]"))
    )
    offered = panel.find_elements(By.CSS_SELECTOR, "li.suggestion")
    concepts = [item.get_attribute("data-concept").rsplit("/def/", 1)[1] for item in offered]
    assert "topic/privacy-enhancing-technologies" in concepts
    pets = offered[concepts.index("topic/privacy-enhancing-technologies")]
    assert "score" in pets.text and "Closest to its definition" in pets.text
    box = browser.find_element(By.CSS_SELECTOR, "input[name='activity1.topic'][value='privacy-enhancing-technologies']")
    assert not box.is_selected()
    pets.find_element(By.TAG_NAME, "button").click()
    assert box.is_selected()
    assert axe_violations(browser) == []
    violations = [entry for entry in browser.get_log("browser") if "Content Security Policy" in entry["message"]]
    assert violations == []


ROWS_UNDER_HEADINGS = """
const table = document.querySelector(arguments[0]);
const headings = [...table.querySelectorAll('thead th')].slice(1).map(h => h.getBoundingClientRect());
return [...table.querySelectorAll('tbody tr')].map(row => ({
  label: row.querySelector('th').textContent.trim(),
  heading: row.querySelector('th').getBoundingClientRect().toJSON(),
  cells: [...row.querySelectorAll('td')].map(c => c.getBoundingClientRect().toJSON()),
  columns: headings.map(h => h.toJSON()),
}));
"""


def whole_page(browser, path) -> None:
    """A screenshot of the whole page at the window's width, for a person to look at; the window is then put back."""
    width, height = browser.get_window_size()["width"], browser.get_window_size()["height"]
    browser.set_window_size(width, browser.execute_script("return document.documentElement.scrollHeight") + 150)
    browser.save_screenshot(str(path))
    browser.set_window_size(width, height)


def assert_rows_under_headings(browser, table: str, page: str) -> int:
    """Each row's cells sit on the row's own line, left to right after its heading, each under its column's heading
    (the layout is the meaning of a heatmap: a cell in the wrong column says the wrong thing). Returns the cells."""
    rows = browser.execute_script(ROWS_UNDER_HEADINGS, table)
    assert rows, f"{page}: no rows"
    for row in rows:
        cells, columns, heading = row["cells"], row["columns"], row["heading"]
        assert len(cells) == len(columns), (page, row["label"], len(cells), len(columns))
        for cell, column in zip(cells, columns, strict=True):
            assert abs(cell["top"] - heading["top"]) < 2 and abs(cell["bottom"] - heading["bottom"]) < 2, (
                page,
                row["label"],
                "a cell off its row's line",
                cell,
                heading,
            )
            centre = (cell["left"] + cell["right"]) / 2
            assert column["left"] <= centre <= column["right"], (page, row["label"], "a cell not under its column")
        lefts = [heading["left"], *(cell["left"] for cell in cells)]
        assert lefts == sorted(lefts) and len(set(lefts)) == len(lefts), (page, row["label"], "not left to right")
    return sum(len(row["cells"]) for row in rows)


def test_each_heatmap_row_s_cells_run_left_to_right_under_their_column_headings(server, browser, tmp_path):
    """Before, every concept's 14 cells stacked down the first place's column (``.heat`` made the cells
    inline-blocks), on /gaps for every scheme and on /strategy-map, while the tests read only the cells' text."""
    browser.set_window_size(1366, 900)
    browser.get(server.url + "/gaps")
    schemes = [o.get_attribute("value") for o in Select(browser.find_element(By.ID, "scheme")).options]
    assert len(schemes) >= 3
    for scheme in schemes:
        browser.get(f"{server.url}/gaps?scheme={scheme}")
        assert assert_rows_under_headings(browser, "table.heatmap", f"/gaps?scheme={scheme}") > 0
        whole_page(browser, tmp_path / f"gaps-{scheme}.png")
    browser.get(server.url + "/strategy-map")
    assert assert_rows_under_headings(browser, "table.heatmap", "/strategy-map") > 0
    whole_page(browser, tmp_path / "strategy-map.png")


NETWORK_LAYOUT = """
const container = arguments[0], cy = container._cyreg.cy, box = cy.nodes().renderedBoundingBox();
return {
  zoom: cy.zoom(),
  label_px: Math.min(...cy.nodes().map(n => parseFloat(n.style('font-size')) * cy.zoom())),
  used_width: box.w / container.clientWidth,
  inside: box.x1 >= -1 && box.y1 >= -1 && box.x2 <= container.clientWidth + 1 && box.y2 <= container.clientHeight + 1,
  linked_below: Math.max(...cy.nodes('[?linked]').map(n => n.renderedPosition().y))
    < Math.min(...cy.nodes('[!linked]').map(n => n.renderedPosition().y)),
  named: cy.nodes().filter(n => n.data('text')).map(n => ({
    linked: n.data('linked'), degree: n.degree(),
    box: n.renderedBoundingBox({includeNodes: false, includeLabels: true}),
  })),
  best_linked_named: Boolean(cy.nodes().max(n => n.degree()).ele.data('text')),
};
"""


def overlapping(boxes: list[dict]) -> int:
    """Pairs of boxes that overlap."""
    return sum(
        a["x1"] < b["x2"] and b["x1"] < a["x2"] and a["y1"] < b["y2"] and b["y1"] < a["y2"]
        for i, a in enumerate(boxes)
        for b in boxes[i + 1 :]
    )


def test_the_network_s_labels_read_at_12_px_and_its_nodes_use_most_of_the_canvas_width(server, browser, tmp_path):
    """The 24 organisations were drawn in a narrow strip of a wide canvas with labels about 4 px high (issue 21); on
    the grown map of 227, 217 of the 228 labels overlapped another (issue 22). Now no label shown covers another,
    and the best-linked organisations are named."""
    browser.set_window_size(1366, 900)
    browser.get(server.url + "/network")
    network = wait(browser).until(lambda b: b.find_element(By.ID, "network"))
    wait(browser).until(lambda b: network.get_attribute("data-ready"))
    layout = browser.execute_script(NETWORK_LAYOUT, network)
    assert layout["label_px"] >= 12, layout
    assert layout["used_width"] >= 0.7 and layout["inside"], layout
    assert layout["linked_below"], "the linked organisations above those not yet linked"
    named = layout["named"]
    assert overlapping([n["box"] for n in named]) == 0
    linked = browser.execute_script("return arguments[0]._cyreg.cy.nodes('[?linked]').length", network)
    assert layout["best_linked_named"] and sum(n["linked"] for n in named) >= min(linked, 40), (len(named), linked)
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", network)
    network.screenshot(str(tmp_path / "network.png"))


FIRST_ROW = """
const row = document.querySelector('.yasr table tbody tr');
const text = (cell) => {
  const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT, { acceptNode: n => n.textContent.trim() ? 1 : 3 });
  const range = document.createRange(); range.selectNodeContents(walker.nextNode()); return range.getBoundingClientRect().toJSON();
};
return [...row.querySelectorAll('td')].slice(0, 2).map(cell => ({box: cell.getBoundingClientRect().toJSON(), text: text(cell)}));
"""


def test_the_result_table_s_row_numbers_stand_clear_of_the_first_column(server, browser, tmp_path):
    """In the query editor's result table the row number ran into the first IRI (issue 21)."""
    browser.set_window_size(1366, 900)
    browser.get(server.url + "/sparql")
    editor = wait(browser).until(expected_conditions.element_to_be_clickable((By.CSS_SELECTOR, ".yasqe .CodeMirror")))
    browser.execute_script(
        "window.ecomapYasgui.getTab().setQuery(arguments[0])",
        "SELECT ?thing WHERE { ?thing a <http://www.w3.org/ns/org#Organization> } ORDER BY ?thing LIMIT 5",
    )
    editor.click()
    browser.find_element(By.CSS_SELECTOR, ".yasqe_queryButton").click()
    wait(browser).until(expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".yasr table tbody tr td")))
    number, first = browser.execute_script(FIRST_ROW)
    assert number["text"]["right"] <= number["box"]["right"] and first["text"]["left"] >= first["box"]["left"]
    assert first["text"]["left"] - number["text"]["right"] >= 8, (number, first)
    results = browser.find_element(By.CSS_SELECTOR, ".yasr")
    browser.execute_script("arguments[0].scrollIntoView()", results)
    results.screenshot(str(tmp_path / "results.png"))


def test_the_saved_queries_forms_offer_organisations_concepts_and_places_by_name(server, browser):
    """An IRI parameter was a text field for an address typed by hand (``def/m1-principle/address-risks``), issue 21:
    now a drop-down of names, grouped, with the default chosen. Chosen with the keyboard here; the form's values are
    the addresses the query takes."""
    browser.get(server.url + "/queries")
    organisation = Select(browser.find_element(By.ID, "collaboration-network-organisation"))
    assert organisation.first_selected_option.text == "Open Data Institute"
    assert "techUK" in [o.text for o in organisation.options]
    area = browser.find_element(By.ID, "organisations-by-priority-area-area")
    place = browser.find_element(By.ID, "organisations-by-priority-area-place")
    groups = [g.get_attribute("label") for g in area.find_elements(By.TAG_NAME, "optgroup")]
    assert len(groups) >= 4 and any("principles" in g.lower() for g in groups), groups
    assert Select(place).first_selected_option.text == "any"
    place.send_keys("Scot")  # typing a name picks it, as in any drop-down
    assert Select(place).first_selected_option.text == "Scotland"
    form = place.find_element(By.XPATH, "./ancestor::form")
    fields = browser.execute_script("return Object.fromEntries(new FormData(arguments[0]))", form)
    assert fields["place"] == "id/place/S92000003" and fields["area"].startswith("def/m1-priority-area/")
    answer = web.get(server.url + form.get_attribute("action").split(server.url)[-1], params=fields)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")


def tab_to(browser, test: str, limit: int = 800):
    """Press Tab, and nothing else, until the focused element passes ``test`` (JavaScript about ``el``): how a person
    who uses no mouse moves through a page. Fails if the page never gets there."""
    for _ in range(limit):
        ActionChains(browser).send_keys(Keys.TAB).perform()
        if browser.execute_script(f"const el = document.activeElement; return Boolean({test});"):
            return browser.switch_to.active_element
    raise AssertionError(f"Tab never reached an element where {test}")


def press(browser, *keys: str) -> None:
    ActionChains(browser).send_keys(*keys).perform()


def box(name: str, value: str) -> str:
    return f"el.name === '{name}' && el.value === '{value}'"


def test_the_form_is_filled_in_and_sent_with_the_keyboard_alone(form_server, browser, tmp_path):
    """Issue 21: the crowd-sourcing door works for someone who uses no mouse. Tab, typing, Space on a box and Enter
    on a folded group's heading and on the button: nothing else. What was sent is what the editors see."""
    folded = "el.tagName === 'SUMMARY' && el.textContent.includes('Combined authority areas')"
    steps = [  # where Tab stops, and what is typed there
        ("el.id === 'organisation.name'", "Keyboard Data Co-op"),
        (box("organisation.kind_of_organisation", "charity-or-non-profit"), Keys.SPACE),
        ("el.id === 'organisation.description'", "A co-operative that runs data clinics for small charities in Wales."),
        ("el.id === 'organisation.website'", "https://keyboard-data.example/"),
        (box("organisation.based_in", "W92000004"), Keys.SPACE),
        (f"{folded} && el.parentElement.querySelector('input').name === 'organisation.operates_in'", Keys.ENTER),
        (box("organisation.operates_in", "E47000001"), Keys.SPACE),
        ("el.id === 'organisation.source'", "https://keyboard-data.example/about"),
        ("el.id === 'activity1.name'", "Keyboard data clinics"),
        (box("activity1.kind_of_activity", "service"), Keys.SPACE),
        (box("activity1.topic", "data-sharing"), Keys.SPACE),
        ("el.id === 'contact'", "keyboard@example.org"),
        ("el.id === 'accept_terms'", Keys.SPACE),
    ]
    browser.get(form_server.url + "/submit")
    for stop, keys in steps:
        tab_to(browser, stop)
        press(browser, keys)
    whole_page(browser, tmp_path / "form-filled-by-keyboard.png")
    tab_to(browser, "el.matches('form button[type=submit]')")
    press(browser, Keys.ENTER)
    wait(browser).until(expected_conditions.title_contains("Thank you"))
    browser.save_screenshot(str(tmp_path / "form-sent.png"))

    status = web.get(browser.find_element(By.PARTIAL_LINK_TEXT, "/submissions/").get_attribute("href")).json()
    token = form_server.ecomap("users", "add", "kim", "--role", "moderator").stdout.strip().splitlines()[-1]
    review = web.get(
        f"{form_server.url}/submissions/{status['id']}/review", headers={"Authorization": f"Bearer {token}"}
    ).json()
    added = [line for change in review["changes"] for line in change["added"]]  # N-Triples lines
    for predicate, value in [
        ("organisationKind", "/def/organisation-kind/charity-or-non-profit>"),
        ("basedIn", "/id/place/W92000004>"),
        ("operatesIn", "/id/place/E47000001>"),
        ("homepage", "<https://keyboard-data.example/>"),
        ("subject", "/def/topic/data-sharing>"),
        ("activityKind", "/def/activity-kind/service>"),
        ("prefLabel", '"Keyboard data clinics"@en'),
    ]:
        assert any(f"{predicate}> " in line and line.rstrip(" .").endswith(value) for line in added), (predicate, added)


def test_a_saved_query_s_form_is_chosen_and_run_with_the_keyboard_alone(server, browser, tmp_path):
    """Issue 21: a researcher who uses no mouse picks a topic by typing its name on the drop-down and runs the query
    with Enter; the CSV the browser saves holds the rows the query's own address gives."""
    browser.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    browser.get(server.url + "/queries")
    tab_to(browser, "el.id === 'activities-by-topic-topic'")
    press(browser, "Data sharing")
    chosen = browser.execute_script("return document.activeElement.value")
    assert chosen == "def/topic/data-sharing"
    tab_to(browser, "el.matches('button[type=submit]') && el.form.action.endsWith('/queries/activities-by-topic')")
    browser.save_screenshot(str(tmp_path / "queries-by-keyboard.png"))
    press(browser, Keys.ENTER)
    saved = wait(browser, 30).until(lambda _: [p for p in tmp_path.iterdir() if p.suffix == ".csv"])
    expected = web.get(server.url + "/queries/activities-by-topic", params={"topic": chosen, "format": "csv"}).text
    rows = list(csv.reader(io.StringIO(saved[0].read_text(encoding="utf-8-sig"))))
    assert len(rows) > 2 and rows == list(csv.reader(io.StringIO(expected.lstrip("\ufeff"))))

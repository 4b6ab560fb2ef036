"""Finding alike texts on a large map: sparse dot products of many pairs at once, and the inverted-file index that
stands in for comparing every activity with every other; each checked against the plain computation."""

from __future__ import annotations

import random

import numpy as np
from conftest import one_pass_only

from graph.matching.leads import Leads
from graph.matching.neighbours import nearest
from graph.matching.text_vectors import SparseRows, TfIdf, unit

pytestmark = one_pass_only
THEMES = [
    ["open", "data", "institute", "standards", "publishing"],
    ["skills", "bootcamp", "training", "course", "apprenticeship"],
    ["privacy", "enhancing", "technologies", "synthetic", "federated"],
    ["health", "research", "trusted", "environment", "records"],
    ["cities", "transport", "sensors", "mobility", "planning"],
    ["charity", "volunteers", "community", "civic", "tech"],
]

WORDS = [
    "data",
    "skills",
    "open",
    "trust",
    "privacy",
    "sharing",
    "wales",
    "scotland",
    "health",
    "research",
    "cities",
    "bootcamp",
    "charity",
]


def test_dot_products_of_many_pairs_are_those_of_the_weights():
    rng = random.Random(3)
    texts = [" ".join(rng.choices(WORDS, k=rng.randint(0, 9))) for _ in range(300)]
    tfidf = TfIdf(texts)
    weights = [tfidf.weights(text) for text in texts]
    first, second = (np.array([rng.randrange(len(texts)) for _ in range(5000)]) for _ in "ab")
    expected = [
        sum(weights[i][c] * weights[j][c] for c in weights[i].keys() & weights[j].keys())
        for i, j in zip(first, second, strict=True)
    ]
    for block in (7, 2048):  # several blocks of first rows, and one
        found = tfidf.sparse(texts).dots(first, second, block=block)
        assert np.allclose(found, expected, atol=1e-5)
    assert SparseRows.of([{}, {}], 1).dots(np.array([0]), np.array([1])).tolist() == [0.0]


def clustered(count: int, seed: int) -> np.ndarray:
    """Unit vectors around 40 centres, as texts on a few themes are."""
    rng = np.random.default_rng(seed)
    centres = unit(rng.normal(size=(40, 64)))
    return unit(centres[rng.integers(0, 40, count)] + 0.6 * rng.normal(size=(count, 64)) / 8).astype(np.float32)


def test_the_exact_search_gives_each_row_its_most_alike_rows_of_other_owners():
    vectors = clustered(900, 1)
    owners = np.arange(900) // 3
    rows, others, similar = nearest(vectors, owners, 5, exact=True)
    assert len(rows) == 900 * 5 and not np.any(owners[rows] == owners[others])
    for row in (0, 450, 899):
        scores = vectors @ vectors[row]
        scores[owners == owners[row]] = -np.inf
        assert set(others[rows == row]) == set(np.argsort(-scores)[:5].tolist())
        assert np.allclose(sorted(similar[rows == row]), sorted(scores[others[rows == row]]))


def test_the_index_finds_nearly_every_neighbour_the_exact_search_finds():
    vectors = clustered(6000, 2)
    owners = np.arange(6000) // 2
    exact = set(zip(*nearest(vectors, owners, 10, exact=True)[:2], strict=True))
    indexed = set(zip(*nearest(vectors, owners, 10, exact=False)[:2], strict=True))
    assert not {(a, b) for a, b in indexed if owners[a] == owners[b]}
    assert len(exact & indexed) / len(exact) >= 0.95


def test_leads_found_through_the_index_are_nearly_those_found_exactly():
    rng = random.Random(5)
    rows: dict[str, list[dict[str, str]]] = {"organisations": [], "activities": [], "concepts": [], "places": []}
    for number in range(1500):
        organisation = f"http://x.example/id/organisation/o{number:04}"
        rows["organisations"].append({"organisation": organisation})
        for index in range(2):
            activity = f"http://x.example/id/activity/o{number}-{index}"
            theme = THEMES[number % len(THEMES)]  # texts on a few themes, as a map's are
            text = " ".join(rng.choices(theme, k=6) + rng.choices(WORDS, k=2))
            rows["activities"].append(
                {
                    "organisation": organisation,
                    "organisationLabel": f"O{number}",
                    "activity": activity,
                    "description": text,
                }
            )
    rows["linked"] = [{"a": rows["organisations"][0]["organisation"], "b": rows["organisations"][1]["organisation"]}]
    exact, indexed = Leads(rows, exact=True), Leads(rows, exact=False)
    # Many leads tie at the 500th score, and either search may list any of those: the leads above it must be found.
    last = exact.best[-1].score
    above = {lead.organisations for lead in exact.best if lead.score > last}
    assert len(above) >= 250 and len(above & {lead.organisations for lead in indexed.best}) / len(above) >= 0.95
    first = rows["organisations"][7]["organisation"]
    assert [lead.score for lead in exact.of(first, 10)] == sorted(
        (lead.score for lead in exact.of(first, 10)), reverse=True
    )
    assert all(first in lead.organisations for lead in exact.of(first, 10))

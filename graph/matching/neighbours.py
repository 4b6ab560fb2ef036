"""Each text's most alike texts of other owners, by the dot product of unit vectors: exactly, every row against every
other in blocks, up to ``EXACT_UP_TO`` rows; beyond, through an inverted-file index, whose cost grows as n^1.5 rather
than n^2. The rows are grouped by the nearest of about √n centroids (a few rounds of spherical k-means on a sample),
and the rows of a group are compared only with the rows of its ``PROBES`` nearest groups. What it misses is measured
against the exact search in ``bench/suggestions/scale.py``.
"""

from __future__ import annotations

import math

import numpy as np

from graph.matching.text_vectors import unit

EXACT_UP_TO = 20_000
PROBES = 8
ROUNDS = 6
SAMPLE_PER_CENTROID = 40
BLOCK = 512  # rows compared at once: a block's similarities are BLOCK x the rows searched


def nearest(
    vectors: np.ndarray, owners: np.ndarray, k: int, *, exact: bool | None = None, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For each row, its ``k`` most alike rows of another owner (``owners``: one number a row), as three arrays:
    the row, the other row and their similarity, one candidate a position. Exact up to ``EXACT_UP_TO`` rows unless
    ``exact`` says otherwise."""
    count = len(vectors)
    if exact is None:
        exact = count <= EXACT_UP_TO
    rows, others, similarities = [], [], []
    for members, searched in _groups(vectors, exact, np.random.default_rng(seed)):
        wanted = min(k, len(searched) - 1)
        if wanted < 1:
            continue
        against, against_owners = vectors[searched].T, owners[searched]  # gathered once a group, not once a block
        for start in range(0, len(members), BLOCK):
            block = members[start : start + BLOCK]
            similar = vectors[block] @ against
            similar[owners[block][:, None] == against_owners[None, :]] = -np.inf
            best = np.argpartition(-similar, wanted - 1, axis=1)[:, :wanted]
            found = np.take_along_axis(similar, best, axis=1)
            kept = np.isfinite(found)
            rows.append(np.repeat(block, wanted).reshape(len(block), wanted)[kept])
            others.append(searched[best][kept])
            similarities.append(found[kept])
    if not rows:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0, dtype=np.float32)
    return np.concatenate(rows), np.concatenate(others), np.concatenate(similarities)


def _groups(vectors: np.ndarray, exact: bool, rng: np.random.Generator) -> list[tuple[np.ndarray, np.ndarray]]:
    """The rows in groups, each with the rows it is searched against: all of them in one group when ``exact``."""
    count = len(vectors)
    everything = np.arange(count)
    if exact or count < 2:
        return [(everything, everything)]
    centroids = _centroids(vectors, max(1, int(math.sqrt(count))), rng)
    assigned = np.concatenate(
        [np.argmax(vectors[start : start + 4096] @ centroids.T, axis=1) for start in range(0, count, 4096)]
    )
    members = [everything[assigned == group] for group in range(len(centroids))]
    probes = np.argsort(-(centroids @ centroids.T), axis=1)[:, :PROBES]
    return [
        (members[group], np.concatenate([members[probe] for probe in probes[group]]))
        for group in range(len(centroids))
        if len(members[group])
    ]


def _centroids(vectors: np.ndarray, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` unit centroids from a few rounds of spherical k-means on a sample of the rows."""
    sample = vectors[rng.choice(len(vectors), min(len(vectors), count * SAMPLE_PER_CENTROID), replace=False)]
    centroids = sample[rng.choice(len(sample), count, replace=False)]
    for _ in range(ROUNDS):
        assigned = np.argmax(sample @ centroids.T, axis=1)
        sums = np.zeros_like(centroids)
        np.add.at(sums, assigned, sample)
        moved = np.linalg.norm(sums, axis=1) > 0
        centroids[moved] = unit(sums[moved])
    return centroids

"""Compare the text-to-concept models on the labelled evaluation set, and time a suggestion.

    .venv/bin/python -m pip install -e '.[bench]'    # scikit-learn, for its TF-IDF; not needed to run ecomap
    .venv/bin/python bench/suggestions/evaluate.py

Every model ranks the concepts of each subject scheme with ``graph.matching.suggestions.Suggester``, learning from what
a fresh ``ecomap init`` store holds (the vocabularies and the seed's approved activities); the evaluation set
is read only here and never enters a store. For each item and each scheme it has a label in, the model's ranked
concepts for that scheme are compared with the label: top-1 and top-3 accuracy over those (item, scheme) pairs,
and macro-F1 of the top concept over the concepts labelled at least once.

Then, as the map grows: each model learns also from a share of the set as if those items were approved
activities tagged with their labels, and is measured on the other items (42 held out, 4 random splits).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path

import anyio
import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from graph.matching.suggestions import CONCEPTS_QUERY, FIELDS, Suggester  # noqa: E402
from graph.matching.text_vectors import Encode, TfIdf, embeddings, unit, word_vectors, words_and_meanings  # noqa: E402
from graph.rdf.namespaces import prefixes  # noqa: E402
from graph.rdf.results import strings  # noqa: E402
from graph.store.embedded import EmbeddedStore  # noqa: E402

EVALUATION_SET = Path(__file__).with_name("evaluation-set.jsonl")
BASE = "http://127.0.0.1:8000"
HELD_OUT, SPLITS, GROWTH = 42, 4, (0, 20, 41)


def scikit_learn_tf_idf(passages: Sequence[str]) -> Encode:
    """The baseline: words and word pairs weighted by scikit-learn's TF-IDF over the passages."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    vectorizer = TfidfVectorizer(stop_words="english", sublinear_tf=True, ngram_range=(1, 2)).fit(passages)
    return lambda texts: vectorizer.transform(list(texts)).toarray()


def mean_embeddings(_passages: Sequence[str]) -> Encode:
    """WordLlama as its own ``embed`` pools: the plain mean of the tokens' vectors."""
    vectors = word_vectors()

    def encode(texts: Sequence[str]) -> np.ndarray:
        rows = np.zeros((len(texts), vectors.table.shape[1]), dtype=np.float32)
        for index, tokens in enumerate(vectors.tokens(texts)):
            if len(tokens):
                rows[index] = vectors.table[tokens].mean(axis=0)
        return unit(rows)

    return encode


MODELS: dict[str, Callable[[Sequence[str]], Encode]] = {
    "TF-IDF (scikit-learn)": scikit_learn_tf_idf,
    "TF-IDF (ecomap's, numpy)": TfIdf,
    "WordLlama, mean of tokens": mean_embeddings,
    "WordLlama, IDF-weighted": embeddings,
    "TF-IDF + WordLlama (ecomap)": words_and_meanings,
}


def seed_rows() -> tuple[list[dict[str, str]], set[str]]:
    """What the suggester learns from in a fresh store (``ecomap init`` in a temporary folder), and the pages the seed
    cites: an evaluation item quoted from one of them may be an approved activity the suggester learns from."""
    with tempfile.TemporaryDirectory() as folder:
        environment = {**os.environ, "ECOMAP_BASE_URI": BASE}
        subprocess.run([str(ROOT / ".venv/bin/ecomap"), "init"], cwd=folder, env=environment, check=True)
        store = EmbeddedStore.open(Path(folder) / "data" / "public", BASE, prefixes(BASE))
        cited = anyio.run(
            store.solutions, "SELECT DISTINCT ?page WHERE { ?record <http://purl.org/dc/terms/source> ?page }"
        )
        return strings(anyio.run(store.solutions, CONCEPTS_QUERY), FIELDS), {row["page"].value for row in cited}


def local(iri: str) -> tuple[str, str]:
    scheme, _, concept = iri.removeprefix(f"{BASE}/def/").partition("/")
    return scheme, concept


def evaluate(suggester: Suggester, items: list[dict]) -> dict[str, float]:
    """Top-1 and top-3 accuracy over the (item, labelled scheme) pairs, macro-F1 of the top concept, p50 time."""
    gold: list[str] = []
    predicted: list[str] = []
    hits3 = 0
    timings = []
    for item in items:
        started = time.perf_counter()
        answer = suggester.suggest(item["text"], per_scheme=3)
        timings.append(time.perf_counter() - started)
        ranked = {
            local(entry["scheme"])[0]: [local(suggestion["concept"])[1] for suggestion in entry["suggestions"]]
            for entry in answer["schemes"]
        }
        for label in item["labels"]:
            ranking = ranked.get(label["scheme"], [])
            gold.append(f"{label['scheme']}/{label['concept']}")
            predicted.append(f"{label['scheme']}/{ranking[0]}" if ranking else "")
            hits3 += label["concept"] in ranking[:3]
    return {
        "top1": sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold),
        "top3": hits3 / len(gold),
        "macro_f1": macro_f1(gold, predicted),
        "p50_ms": statistics.median(timings) * 1000,
    }


def macro_f1(gold: list[str], predicted: list[str]) -> float:
    scores = []
    for concept in sorted(set(gold)):
        true_positive = sum(g == p == concept for g, p in zip(gold, predicted, strict=True))
        false_positive = sum(p == concept != g for g, p in zip(gold, predicted, strict=True))
        false_negative = sum(g == concept != p for g, p in zip(gold, predicted, strict=True))
        scores.append(2 * true_positive / (2 * true_positive + false_positive + false_negative))
    return sum(scores) / len(scores)


def most_frequent(items: list[dict]) -> dict[str, float]:
    """A floor for comparison: always the concept the set labels most often in each scheme (read from the labels
    themselves, so it is an optimistic floor)."""
    counts: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for item in items:
        for label in item["labels"]:
            counts[label["scheme"]][label["concept"]] += 1
    gold, predicted, hits3 = [], [], 0
    for item in items:
        for label in item["labels"]:
            ranking = [concept for concept, _ in counts[label["scheme"]].most_common(3)]
            gold.append(f"{label['scheme']}/{label['concept']}")
            predicted.append(f"{label['scheme']}/{ranking[0]}")
            hits3 += label["concept"] in ranking
    top1 = sum(g == p for g, p in zip(gold, predicted, strict=True)) / len(gold)
    return {"top1": top1, "top3": hits3 / len(gold), "macro_f1": macro_f1(gold, predicted), "p50_ms": 0.0}


def as_approved(items: list[dict]) -> list[dict[str, str]]:
    """Items as the rows of ``CONCEPTS_QUERY`` would give them if each were an approved activity with its labels."""
    return [
        {
            "scheme": f"{BASE}/def/{label['scheme']}",
            "schemeLabel": label["scheme"],
            "concept": f"{BASE}/def/{label['scheme']}/{label['concept']}",
            "label": label["concept"],
            "kind": "tagged",
            "text": item["text"],
            "from": item["id"],
        }
        for item in items
        for label in item["labels"]
    ]


def growing(rows: list[dict[str, str]], items: list[dict], model: Callable[[Sequence[str]], Encode]) -> list[dict]:
    """The mean figures over ``SPLITS`` random splits, for each number of items learnt from."""
    results = []
    for learnt in GROWTH:
        runs = []
        for seed in range(SPLITS):
            shuffled = items[:]
            random.Random(seed).shuffle(shuffled)
            held_out, learn = shuffled[:HELD_OUT], shuffled[HELD_OUT : HELD_OUT + learnt]
            runs.append(evaluate(Suggester(rows + as_approved(learn), model), held_out))
        results.append({key: statistics.mean(run[key] for run in runs) for key in runs[0]})
    return results


def over_http(server: str, items: list[dict]) -> tuple[float, float]:
    """The p50 and p95 milliseconds of ``POST /suggest`` for the items' texts, after one request to warm up."""
    timings = []
    with httpx.Client(base_url=server, timeout=30) as client:
        client.post("/suggest", json={"text": items[0]["text"]}).raise_for_status()
        for _ in range(3):
            for item in items:
                started = time.perf_counter()
                client.post("/suggest", json={"text": item["text"]}).raise_for_status()
                timings.append((time.perf_counter() - started) * 1000)
    cuts = statistics.quantiles(timings, n=20)
    return statistics.median(timings), cuts[18]


def cold_start() -> float:
    """Seconds for a fresh process to import the suggester and load WordLlama's weights."""
    code = "import time; t = time.perf_counter(); from graph.matching.text_vectors import word_vectors; "
    code += "word_vectors(); print(time.perf_counter() - t)"
    output = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return float(output.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--set", type=Path, default=EVALUATION_SET, help="The labelled items (JSON lines).")
    parser.add_argument("--server", help="Also time POST /suggest on this running ecomap, e.g. http://127.0.0.1:8000")
    arguments = parser.parse_args()
    items = [json.loads(line) for line in arguments.set.read_text(encoding="utf-8").splitlines() if line.strip()]
    rows, cited = seed_rows()
    pairs = sum(len(item["labels"]) for item in items)
    unseen = [item for item in items if item["source"] not in cited]
    print(f"{len(items)} items, {pairs} (item, scheme) labels; learning from {len(rows)} rows of a fresh store")
    print(f"{len(items) - len(unseen)} items are quoted from pages the seed cites; the second columns leave them out\n")
    print(
        f"{'model':32} {'top-1':>6} {'top-3':>6} {'macro-F1':>8} {'p50 ms':>7} {'build s':>7}   unseen: top-1/top-3/F1"
    )
    for name, model in {"most frequent label per scheme": None, **MODELS}.items():
        started = time.perf_counter()
        suggester = Suggester(rows, model) if model else None
        build = time.perf_counter() - started
        result, apart = (evaluate(suggester, s) if suggester else most_frequent(s) for s in (items, unseen))
        timing = f"{result['p50_ms']:7.1f} {build:7.2f}" if suggester else f"{'':7} {'':7}"
        print(
            f"{name:32} {result['top1']:6.3f} {result['top3']:6.3f} {result['macro_f1']:8.3f} {timing}   "
            f"{apart['top1']:.3f}/{apart['top3']:.3f}/{apart['macro_f1']:.3f}"
        )
    print(
        f"\nAs the map grows: {HELD_OUT} items held out, the model also learns from N others (mean of {SPLITS} splits)"
    )
    print(f"{'model':32} " + " ".join(f"{'N=' + str(n) + ' top-1/top-3/F1':>24}" for n in GROWTH))
    for name, model in MODELS.items():
        cells = [f"{r['top1']:.3f}/{r['top3']:.3f}/{r['macro_f1']:.3f}" for r in growing(rows, items, model)]
        print(f"{name:32} " + " ".join(f"{cell:>24}" for cell in cells))
    print(f"\ncold start (import the suggester, load WordLlama): {cold_start():.2f} s")
    if arguments.server:
        p50, p95 = over_http(arguments.server, items)
        print(f"POST /suggest over HTTP, one client, each item 3 times: p50 {p50:.1f} ms, p95 {p95:.1f} ms")


if __name__ == "__main__":
    main()

"""How the suggester and the leads grow with the map: build time, one suggestion, and peak memory.

    .venv/bin/python bench/suggestions/scale.py --organisations 1000 10000 100000

Each size runs in a fresh process (so that its peak memory is its own) on rows made in memory, never in a store:
N organisations with two activities each, every activity described by one of the evaluation set's texts (so the
texts read like the real ones), tagged with one or two concepts, in one of a few places. The suggester is built
once per data version in each worker, the leads once per version by one worker (``api.answers.shared_for_version``):
the build time is what the first request after an approval waits. Up to ``--recall-up-to`` organisations, the
leads found through the index (``graph.matching.neighbours``) are compared with those of the exact search.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from graph.matching.leads import Leads  # noqa: E402
from graph.matching.suggestions import Suggester  # noqa: E402

BASE = "http://127.0.0.1:8000/synthetic"
TEXTS = [json.loads(line)["text"] for line in ROOT.joinpath("bench/suggestions/evaluation-set.jsonl").open()]
CONCEPTS = {
    "nds-pillar": ["data-foundations", "data-skills", "data-availability", "responsible-data"],
    "m1-principle": ["improve-knowledge", "reduce-costs", "address-risks", "improve-incentives"],
    "topic": ["data-sharing", "data-institutions", "privacy-enhancing-technologies", "smart-cities"],
}
PLACES = ["E47000001", "E12000007", "W92000004", "S92000003", "N92000002", "E12000001"]


def rows(organisations: int, seed: int = 1) -> tuple[list[dict[str, str]], dict[str, list[dict[str, str]]]]:
    """The suggester's rows and the leads' rows for a synthetic map of ``organisations``."""
    rng = random.Random(seed)
    concept_rows, lead_rows = [], {"organisations": [], "activities": [], "concepts": [], "places": [], "linked": []}
    for scheme, concepts in CONCEPTS.items():
        for concept in concepts:
            iri = f"{BASE}/def/{scheme}/{concept}"
            own = {"scheme": f"{BASE}/def/{scheme}", "schemeLabel": scheme, "concept": iri, "label": concept}
            concept_rows.append({**own, "kind": "label", "text": concept.replace("-", " "), "from": iri})
    for number in range(organisations):
        organisation = f"{BASE}/id/organisation/o{number}"
        lead_rows["organisations"].append({"organisation": organisation})
        place = f"{BASE}/id/place/{rng.choice(PLACES)}"
        lead_rows["places"].append({"organisation": organisation, "area": place, "label": place, "type": "region"})
        for index in range(2):
            activity = f"{BASE}/id/activity/o{number}-{index}"
            text = f"{rng.choice(TEXTS)} (activity {number}-{index})"
            lead_rows["activities"].append(
                {
                    "organisation": organisation,
                    "organisationLabel": f"Organisation {number}",
                    "activity": activity,
                    "activityLabel": f"Activity {number}-{index}",
                    "description": text,
                }
            )
            for scheme in rng.sample(sorted(CONCEPTS), rng.randint(1, 2)):
                concept = rng.choice(CONCEPTS[scheme])
                iri = f"{BASE}/def/{scheme}/{concept}"
                lead_rows["concepts"].append({"activity": activity, "concept": iri, "label": concept})
                tagged = {"scheme": f"{BASE}/def/{scheme}", "schemeLabel": scheme, "concept": iri, "label": concept}
                concept_rows.append({**tagged, "kind": "tagged", "text": text, "from": activity})
    return concept_rows, lead_rows


def measure(organisations: int, part: str) -> dict[str, float]:
    concept_rows, lead_rows = rows(organisations)
    started = time.perf_counter()
    if part == "suggester":
        suggester = Suggester(concept_rows)
        built = time.perf_counter() - started
        timings = []
        for text in TEXTS:
            began = time.perf_counter()
            suggester.suggest(text)
            timings.append(time.perf_counter() - began)
        extra = {"suggest_p50_ms": statistics.median(timings) * 1000}
    elif part == "leads":
        found = Leads(lead_rows)
        built = time.perf_counter() - started
        extra = {"leads": len(found.best)}
    else:  # the index against the exact search, on the same rows: how many of the exact leads it finds
        indexed = Leads(lead_rows, exact=False)
        built = time.perf_counter() - started
        exact = Leads(lead_rows, exact=True)
        organisations = sorted(exact.organisations)
        wanted = [{lead.organisations for lead in exact.of(iri, 10)} for iri in organisations]
        got = [{lead.organisations for lead in indexed.of(iri, 10)} for iri in organisations]
        extra = {
            "best_recall": len(
                {lead.organisations for lead in exact.best} & {lead.organisations for lead in indexed.best}
            )
            / max(1, len(exact.best)),
            "per_organisation_recall": sum(len(w & g) for w, g in zip(wanted, got, strict=True))
            / max(1, sum(map(len, wanted))),
        }
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"build_s": built, "peak_mib": peak, **extra}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--organisations", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument(
        "--recall-up-to",
        type=int,
        default=10000,
        help="Measure the index's recall against the exact search up to here.",
    )
    parser.add_argument("--one", nargs=2, metavar=("N", "PART"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.one:
        print(json.dumps(measure(int(arguments.one[0]), arguments.one[1])))
        return
    print(f"{'organisations':>13} {'part':>10} {'build s':>8} {'peak MiB':>9}  other")
    for organisations in arguments.organisations:
        for part in ("suggester", "leads", "recall")[: 3 if organisations <= arguments.recall_up_to else 2]:
            done = subprocess.run(
                [sys.executable, __file__, "--one", str(organisations), part],
                capture_output=True,
                text=True,
                check=True,
            )
            result = json.loads(done.stdout)
            other = {key: round(value, 3) for key, value in result.items() if key not in ("build_s", "peak_mib")}
            print(f"{organisations:>13} {part:>10} {result['build_s']:8.2f} {result['peak_mib']:9.0f}  {other}")


if __name__ == "__main__":
    main()

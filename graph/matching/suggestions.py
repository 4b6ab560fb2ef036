"""Suggest which concepts a text is about: the priority areas, principles, pillars, missions and topics that an
activity's description points to, each with a score in [0, 1] and the sentence and words that drove it.

The suggester has no training step of its own. It compares the text with what the map already says about each
concept of every ``eco:SubjectScheme`` (its labels, definition and notes, and the descriptions of approved
activities tagged with it), read from the public store once per data version. So a concept added to such a
scheme is suggested at once, and each approval that tags an activity improves the next contributor's
suggestions. Each concept is one vector, the sum of its passages' (``graph.matching.text_vectors``), and scores the
cosine of the text's vector with it: the evaluation in ``bench/suggestions/`` chose this over scoring by the closest
single passage.

Suggestions are only ever shown: nothing here writes to a store.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import anyio
import numpy as np

from graph.matching.text_vectors import (
    STOP_WORDS,
    WORDLLAMA_DIMENSIONS,
    WORDLLAMA_MODEL,
    EncoderFactory,
    unit,
    words_and_meanings,
)
from graph.rdf.results import strings
from graph.store.interface import Store

# The longest description worth comparing: several paragraphs. Longer text is refused rather than cut, so that
# a suggestion never silently ignores what the contributor wrote.
MAX_TEXT = 20_000
# The most approved descriptions kept per concept (about 3.5 MB of vectors each), so that a worker's memory does not
# grow with the map. The query's order keeps the first by IRI: a fixed, if arbitrary, choice.
MOST_PASSAGES = 200
# Parts of a text compared on their own, besides the whole: each sentence, cut into pieces of at most this many
# words, so that the evidence for a long text without full stops costs no more than for a short one.
MOST_WORDS_IN_PART = 40
MODEL = f"TF-IDF and WordLlama ({WORDLLAMA_MODEL}, {WORDLLAMA_DIMENSIONS} dimensions)"

# Each row is one text that says what a concept is: its own words, or the description of an approved activity (or
# strategy) tagged with it.
# Topics only suggested for an activity (``eco:suggestedTopic``) are not what its description is about.
# ``ORDER BY`` keeps a concept's own words in one order, so that its passage and its encoding never vary.
CONCEPTS_QUERY = """SELECT ?scheme ?schemeLabel ?concept ?label ?kind ?text ?from WHERE {
  ?scheme a eco:SubjectScheme ; skos:prefLabel ?schemeLabel .
  ?concept skos:inScheme ?scheme ; skos:prefLabel ?label .
  {
    VALUES (?property ?kind) {
      (skos:prefLabel "label") (skos:altLabel "label") (skos:definition "definition")
      (skos:scopeNote "note") (skos:example "example")
    }
    ?concept ?property ?text BIND(?concept AS ?from)
  } UNION {
    ?from eco:supports|dcterms:subject ?concept ; dcterms:description ?text
    BIND("tagged" AS ?kind)
  }
} ORDER BY ?concept ?kind ?from"""

FIELDS = ("scheme", "schemeLabel", "concept", "label", "kind", "text", "from")
"""The variables of ``CONCEPTS_QUERY``: ``graph.rdf.results.strings(solutions, FIELDS)`` gives the rows ``Suggester``
takes."""


_SENTENCE_END = re.compile(r"(?<=[.!?;:])\s+|\n+")
_WORD = re.compile(r"[^\W\d_][\w'\u2019-]*[^\W_]|[^\W\d_]")


class SuggestionError(ValueError):
    """A text that cannot be compared, with a message a contributor can act on."""


@dataclass(frozen=True)
class Passage:
    """One text that says what a concept is, and where it comes from: the concept itself ("concept"), or a thing
    on the map tagged with it ("tagged")."""

    concept: str
    kind: str
    text: str
    source: str


@dataclass(frozen=True)
class Concept:
    """A concept that can be suggested, with its scheme."""

    iri: str
    label: str
    scheme: str
    scheme_label: str


def parts(text: str) -> list[str]:
    """The text's sentences, each cut into pieces of at most ``MOST_WORDS_IN_PART`` words."""
    found = []
    for sentence in _SENTENCE_END.split(text):
        words = sentence.split()
        found += [" ".join(words[i : i + MOST_WORDS_IN_PART]) for i in range(0, len(words), MOST_WORDS_IN_PART)]
    return found


def content_words(text: str) -> list[str]:
    """The text's distinct words worth citing as evidence, lower-cased, in order of first use."""
    seen: dict[str, None] = {}
    for word in _WORD.findall(text.lower()):
        if len(word) > 2 and word not in STOP_WORDS:
            seen.setdefault(word, None)
    return list(seen)


def checked(text: str) -> str:
    """The text to compare, or a ``SuggestionError`` saying why there is none."""
    if not text.strip():
        raise SuggestionError("Give some text to suggest concepts for: a sentence or two describing the activity.")
    if len(text) > MAX_TEXT:
        raise SuggestionError(
            f"The text is {len(text):,} characters long; suggestions compare at most {MAX_TEXT:,}. "
            "Give the description of one activity."
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise SuggestionError("The text holds characters that are not Unicode text (lone surrogates).") from None
    if not content_words(text):
        raise SuggestionError("The text has no words to compare: describe the activity in words.")
    return text


@dataclass(frozen=True)
class _Match:
    parts: list[str]  # the whole text, then its parts if it has several
    score: np.ndarray  # per concept, its score: that of the closest of the whole text and its parts
    evidence_part: np.ndarray  # per concept, the part (never the whole of a text of several) closest to it
    part_vectors: np.ndarray


class Suggester:
    """The concepts of every subject scheme, each as the sum of the vectors of the passages that describe it."""

    def __init__(self, rows: Iterable[Mapping[str, str]], encoder: EncoderFactory = words_and_meanings) -> None:
        self.concepts: dict[str, Concept] = {}
        own: defaultdict[str, dict[str, None]] = defaultdict(dict)
        activities: defaultdict[str, dict[tuple[str, str], None]] = defaultdict(dict)
        for row in rows:
            concept = row["concept"]
            self.concepts.setdefault(concept, Concept(concept, row["label"], row["scheme"], row["schemeLabel"]))
            text = " ".join(row["text"].split())
            if not text:
                continue
            if row["kind"] == "tagged":
                if len(activities[concept]) < MOST_PASSAGES:
                    activities[concept].setdefault((text, row["from"]), None)
            else:
                own[concept].setdefault(text if text[-1] in ".!?" else f"{text}.", None)
        # A concept's own words (labels, definition, notes) read as one passage: a label alone is too short to place.
        self.passages = [Passage(concept, "concept", " ".join(texts), concept) for concept, texts in own.items()]
        self.passages += [
            Passage(concept, "tagged", text, activity)
            for concept, described in activities.items()
            for text, activity in described
        ]
        self._order = sorted(self.concepts)
        column = {iri: index for index, iri in enumerate(self._order)}
        self._passage_concept = np.array([column[passage.concept] for passage in self.passages], dtype=np.int64)
        # Per concept, the indexes of its passages; per scheme, its concepts' columns: the same for every request.
        self._passages_of = [np.flatnonzero(self._passage_concept == index) for index in range(len(self._order))]
        self._by_scheme: defaultdict[str, list[int]] = defaultdict(list)
        for index, concept in enumerate(self._order):
            self._by_scheme[self.concepts[concept].scheme].append(index)
        texts = [passage.text for passage in self.passages]
        self.encode = encoder(texts or [""])
        self.vectors = self.encode(texts or [""])[: len(texts)]
        prototypes = np.zeros((len(self._order), self.vectors.shape[1]), dtype=np.float32)
        np.add.at(prototypes, self._passage_concept, self.vectors)
        self.prototypes = unit(prototypes)

    def scores(self, text: str) -> dict[str, float]:
        """Every concept's score for the text, by IRI."""
        match = self._match(checked(text))
        return {iri: float(match.score[column]) for column, iri in enumerate(self._order)}

    def suggest(self, text: str, per_scheme: int = 3) -> dict[str, Any]:
        """Every subject scheme with its ``per_scheme`` best concepts for the text, best first, and the evidence."""
        match = self._match(checked(text))
        # Per part of the text: its content words, and its vectors without each (the evidence of every concept
        # whose closest part it is).
        variants: dict[str, tuple[list[str], np.ndarray]] = {}
        schemes: list[dict[str, Any]] = []
        for scheme, columns in self._by_scheme.items():
            ranked = sorted(columns, key=lambda column: (-match.score[column], self._order[column]))[:per_scheme]
            schemes.append(
                {
                    "scheme": scheme,
                    "label": self.concepts[self._order[columns[0]]].scheme_label,
                    "suggestions": [self._suggestion(column, match, variants) for column in ranked],
                }
            )
        schemes.sort(key=lambda entry: (-entry["suggestions"][0]["score"], entry["label"]))
        return {"model": MODEL, "schemes": schemes}

    def _match(self, text: str) -> _Match:
        """How close the text, as a whole and part by part, is to every concept: a concept scores as the closest."""
        pieces = parts(text)
        compared = [text, *pieces] if len(pieces) > 1 else [text]
        part_vectors = self.encode(compared)
        # similarity[q, c]: how close part q of the text is to concept c.
        similarity = np.clip(part_vectors @ self.prototypes.T, 0.0, 1.0)
        skipped = 1 if len(compared) > 1 else 0
        return _Match(compared, similarity.max(axis=0), similarity[skipped:].argmax(axis=0) + skipped, part_vectors)

    def _suggestion(
        self, column: int, match: _Match, variants: dict[str, tuple[list[str], np.ndarray]]
    ) -> dict[str, Any]:
        concept = self.concepts[self._order[column]]
        score = float(match.score[column])
        entry: dict[str, Any] = {"concept": concept.iri, "label": concept.label, "score": round(score, 3)}
        own = self._passages_of[column]
        if score <= 0 or not len(own):
            entry["evidence"] = None
            return entry
        part = int(match.evidence_part[column])
        closest = self.passages[int(own[np.argmax(self.vectors[own] @ match.part_vectors[part])])]
        entry["evidence"] = {
            "sentence": match.parts[part],
            "words": self._words(match.parts[part], column, variants),
            "closest": {"kind": closest.kind, "text": closest.text, "source": closest.source},
        }
        return entry

    def _words(
        self, part: str, column: int, variants: dict[str, tuple[list[str], np.ndarray]], most: int = 5
    ) -> list[str]:
        """The part's words that drove the score: those whose removal lowers its closeness to the concept most."""
        if part not in variants:
            words = content_words(part)
            without = [re.sub(rf"(?i)(?<!\w){re.escape(word)}(?!\w)", " ", part) for word in words]
            variants[part] = (words, self.encode([part, *without]))
        words, vectors = variants[part]
        closeness = vectors @ self.prototypes[column]
        drops = closeness[0] - closeness[1:]
        ranked = sorted(zip(drops.tolist(), words, strict=True), key=lambda pair: -pair[0])
        return [word for drop, word in ranked[:most] if drop > 0]


def as_text(answer: Mapping[str, Any]) -> str:
    """A suggestion answer for people reading a terminal: each scheme, its concepts, their scores and evidence."""
    lines = [f"Suggestions ({answer['model']}): scores in [0, 1], evidence in brackets; nothing is recorded.", ""]
    for scheme in answer["schemes"]:
        lines.append(scheme["label"])
        for suggestion in scheme["suggestions"]:
            evidence = suggestion["evidence"]
            because = ""
            if evidence:
                closest = evidence["closest"]
                source = "its own definition" if closest["kind"] == "concept" else f"<{closest['source']}>"
                words = ", ".join(evidence["words"]) or "the text as a whole"
                because = f"  [{words}; closest to {source}]"
            lines.append(f"  {suggestion['score']:.2f}  {suggestion['label']}  <{suggestion['concept']}>{because}")
        lines.append("")
    return "\n".join(lines)


async def read_suggester(store: Store) -> Suggester:
    """The suggester over the map's current concepts and approved descriptions (``CONCEPTS_QUERY``), built off the
    event loop."""
    rows = await store.solutions(CONCEPTS_QUERY)
    return await anyio.to_thread.run_sync(lambda: Suggester(strings(rows, FIELDS)))

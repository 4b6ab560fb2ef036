"""Texts as vectors, so that how alike two texts are is the dot product of theirs (the cosine).

ecomap's vectors join two halves of equal weight: TF-IDF over words and word pairs, which rewards the exact terms a
concept's texts use ("privacy enhancing technologies"), and WordLlama's word embeddings, which relate different
words for one idea ("course" and "skills"). Both learn their word weights from the passages they are built on,
so rare words count most. The evaluation in ``bench/suggestions/`` chose the pair over either half alone and
over scikit-learn's TF-IDF, which would add 165 MB to an install where this needs numpy and WordLlama (60 MB).
"""

from __future__ import annotations

import functools
import importlib.util
import itertools
import math
import re
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tokenizers import Tokenizer

Encode = Callable[[Sequence[str]], np.ndarray]
"""Texts to unit-length rows of one matrix."""
EncoderFactory = Callable[[Sequence[str]], Encode]
"""Given the passages to learn word weights from, the function that encodes texts."""

# The most words and word pairs TF-IDF keeps (the most widespread among the passages), so that a vector has a
# bounded length however large the map grows.
MOST_TERMS = 4096

_TERM = re.compile(r"(?u)\b\w\w+\b")
_COMMON = """
a about above after again all also an and any are as at be because been being both but by can could did do does
doing down during each few for from further had has have having he her here hers him his how i if in into is it
its itself just more most my no nor not of off on once only or other our ours out over own same she should so
some such than that the their theirs them then there these they this those through to too under until up very
was we were what when where which while who whom why will with would you your yours us across within via new
work working help helps including include includes use used using make makes made well way ways
"""
STOP_WORDS = frozenset(_COMMON.split())
"""Words too common to tell concepts apart, or to cite as evidence."""


def unit(rows: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (a row of zeros stays zeros), so that dot products are cosines."""
    return rows / np.maximum(np.linalg.norm(rows, axis=1, keepdims=True), 1e-12)


# Endings taken off a word, longest first, where at least four letters remain, so that "understanding" and
# "understand", or "skills" and "skill", are one term (bench/suggestions/: a little better on every figure).
_ENDINGS = (
    *("ations", "ation", "ities", "ments", "ings", "ised", "ises", "ized", "izes", "ment", "ing", "ise", "ize"),
    *("ity", "ies", "ied", "ers", "ive", "er", "ed", "es", "ly", "al", "s"),
)


@functools.lru_cache(maxsize=1 << 16)  # a map's texts use a few thousand words, again and again
def stem(word: str) -> str:
    """The word without the longest of ``_ENDINGS`` it ends with, if four letters remain."""
    for ending in _ENDINGS:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[: -len(ending)]
    return word


def terms(text: str) -> list[str]:
    """The stems of lower-cased words of two or more letters that are not stop words, then each pair of
    neighbours."""
    words = [stem(word) for word in _TERM.findall(text.lower()) if word not in STOP_WORDS]
    return words + [f"{first} {second}" for first, second in itertools.pairwise(words)]


class TfIdf:
    """TF-IDF weighted as scikit-learn's ``TfidfVectorizer(sublinear_tf=True, ngram_range=(1, 2))`` weights it
    (smoothed IDF, logarithmic term counts, unit length). Unlike it, words are stemmed (``terms``), the stop words
    are ecomap's, and only the ``MOST_TERMS`` terms found in the most passages are kept.

    Built on the passages, it encodes texts as dense rows, or one text as its few non-zero weights."""

    def __init__(self, passages: Sequence[str]) -> None:
        spread = Counter(term for passage in passages for term in set(terms(passage)))
        kept = sorted(spread, key=lambda term: (-spread[term], term))[:MOST_TERMS]
        self.columns = {term: index for index, term in enumerate(kept)}
        self.idf = [math.log((1 + len(passages)) / (1 + spread[term])) + 1 for term in kept]

    def weights(self, text: str) -> dict[int, float]:
        """The text's non-zero weights by column, the whole of unit length."""
        found = {
            self.columns[term]: (1 + math.log(count)) * self.idf[self.columns[term]]
            for term, count in Counter(terms(text)).items()
            if term in self.columns
        }
        length = math.sqrt(sum(weight * weight for weight in found.values())) or 1.0
        return {column: weight / length for column, weight in found.items()}

    def sparse(self, texts: Sequence[str]) -> SparseRows:
        """The texts' weights as sparse rows, for dot products of many pairs of them at once."""
        return SparseRows.of((self.weights(text) for text in texts), max(len(self.columns), 1))

    def __call__(self, texts: Sequence[str]) -> np.ndarray:
        rows = np.zeros((len(texts), max(len(self.columns), 1)), dtype=np.float32)
        for index, text in enumerate(texts):
            for column, weight in self.weights(text).items():
                rows[index, column] = weight
        return rows


@dataclass(frozen=True)
class SparseRows:
    """Rows of few non-zero weights: row i's columns and values are ``columns[starts[i]:starts[i + 1]]`` and
    ``values[…]``."""

    starts: np.ndarray
    columns: np.ndarray
    values: np.ndarray
    width: int

    @classmethod
    def of(cls, rows: Iterable[Mapping[int, float]], width: int) -> SparseRows:
        """Rows given as their non-zero values by column (below ``width``), read one at a time into compact arrays."""
        lengths, columns, values = array("q"), array("q"), array("f")
        for row in rows:
            lengths.append(len(row))
            columns.extend(row.keys())
            values.extend(row.values())
        starts = np.concatenate([[0], np.cumsum(np.frombuffer(lengths, dtype=np.int64))]).astype(np.int64)
        return cls(
            starts, np.frombuffer(columns, dtype=np.int64), np.frombuffer(values, dtype=np.float32), max(width, 1)
        )

    def dots(self, first: np.ndarray, second: np.ndarray, block: int = 2048) -> np.ndarray:
        """The dot product of row ``first[p]`` and row ``second[p]`` for every position p, without a Python loop
        over pairs: a block of first rows is written out whole (``block`` x ``width``), and each pair's second row
        reads its columns from it."""
        found = np.zeros(len(first), dtype=np.float32)
        order = np.argsort(first, kind="stable")
        ordered = first[order]
        rows = np.unique(first)
        for start in range(0, len(rows), block):
            written = rows[start : start + block]
            dense = np.zeros((len(written), self.width), dtype=np.float32)
            positions, columns, values = self._entries(written)
            dense[positions, columns] = values
            pairs = order[np.searchsorted(ordered, written[0]) : np.searchsorted(ordered, written[-1], side="right")]
            positions, columns, values = self._entries(second[pairs])
            at = np.searchsorted(written, first[pairs])[positions]
            found[pairs] = np.bincount(positions, weights=dense[at, columns] * values, minlength=len(pairs))
        return found

    def _entries(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every entry of the rows: the row's position in ``rows``, the entry's column and its value."""
        lengths = self.starts[rows + 1] - self.starts[rows]
        positions = np.repeat(np.arange(len(rows)), lengths)
        offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        entries = np.repeat(self.starts[rows], lengths) + offsets
        return positions, self.columns[entries], self.values[entries]


@dataclass(frozen=True)
class WordVectors:
    """WordLlama's table of one vector per token, and the tokenizer that splits text into its tokens."""

    tokenizer: Tokenizer
    table: np.ndarray

    def tokens(self, texts: Sequence[str], batch: int = 4096) -> list[np.ndarray]:
        """Each text's tokens, as an array, encoded a batch at a time: the tokenizer's encodings (with each token's
        text and offsets) and lists of Python numbers took gigabytes for 10^5 organisations' activities."""
        found = []
        for start in range(0, len(texts), batch):
            encoded = self.tokenizer.encode_batch(list(texts[start : start + batch]), add_special_tokens=False)
            found += [np.array(encoding.ids, dtype=np.int32) for encoding in encoded]
        return found


# WordLlama's smallest model, whose weights and tokenizer its wheel carries.
WORDLLAMA_MODEL = "l2_supercat"
WORDLLAMA_DIMENSIONS = 256


@functools.cache
def word_vectors() -> WordVectors:
    """WordLlama's packaged weights and tokenizer, loaded once per process on first use (about half a second).

    Read by path, without importing the package: its ``__init__`` sets up the root logger (every library's INFO
    lines would reach the server's log), and ``WordLlama.load()`` looks for the tokenizer in a folder the wheel does
    not have, and would download it."""
    from safetensors import safe_open

    spec = importlib.util.find_spec("wordllama")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("WordLlama is not installed: make install installs it")
    root = Path(next(iter(spec.submodule_search_locations)))
    tokenizer = Tokenizer.from_file(str(root / "tokenizers" / f"{WORDLLAMA_MODEL}_tokenizer_config.json"))
    weights_file = root / "weights" / f"{WORDLLAMA_MODEL}_{WORDLLAMA_DIMENSIONS}.safetensors"
    with safe_open(str(weights_file), framework="np", device="cpu") as weights:
        table = np.ascontiguousarray(weights.get_tensor("embedding.weight"), dtype=np.float32)
    return WordVectors(tokenizer, table)


def embeddings(passages: Sequence[str]) -> Encode:
    """Each text is the mean of its tokens' WordLlama vectors, each weighted by how rare the token is among the
    passages (inverse document frequency): tokens that every concept's text has, such as "data", count least."""
    vectors = word_vectors()
    documents = vectors.tokens(passages)  # and reused when the texts to encode are the passages themselves
    spread = np.zeros(len(vectors.table))
    for tokens in documents:
        spread[list(set(tokens.tolist()))] += 1  # a set: np.unique on each short array took 6 s for 2 x 10^5 texts
    weight = (np.log((1 + len(documents)) / (1 + spread)) + 1).astype(np.float32)

    def encode(texts: Sequence[str]) -> np.ndarray:
        rows = np.zeros((len(texts), vectors.table.shape[1]), dtype=np.float32)
        for index, tokens in enumerate(documents if texts is passages else vectors.tokens(texts)):
            if len(tokens):
                rows[index] = weight[tokens] @ vectors.table[tokens]
        return unit(rows)

    return encode


def words_and_meanings(passages: Sequence[str]) -> Encode:
    """ecomap's vectors: the TF-IDF half and the embedding half side by side, each scaled so that the cosine of two
    texts is the mean of their two cosines."""
    lexical, semantic = TfIdf(passages), embeddings(passages)
    half = np.float32(math.sqrt(0.5))
    return lambda texts: np.hstack([lexical(texts) * half, semantic(texts) * half])

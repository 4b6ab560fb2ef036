"""The named SPARQL queries in ``queries/``: one ``.rq`` file each, with a grlc-style ``#+`` header.

The header gives ``summary``, ``description``, ``tags`` and typed parameters, one line each::

    #+ param area (iri, default def/m1-priority-area/x): The priority area, by its IRI.
    #+ param hops (integer, 1..4, default 2): How many steps out from the organisation.
    #+ param place (iri, optional): A nation or region; leave out for the whole UK.

A parameter is the query variable of the same name. Values are checked against their type, made into RDF
terms and bound, never pasted into the query text: in-process through pyoxigraph's substitutions, and over
the SPARQL protocol as a ``VALUES`` block of serialised terms at the start of the query's outermost group,
so that a value holding quotes or braces cannot change what the query does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pyoxigraph as ox

from graph.catalogue import ROOT
from graph.rdf.query_text import iri

QUERY_DIR = ROOT / "queries"
XSD = "http://www.w3.org/2001/XMLSchema#"
TYPES = ("iri", "integer", "date", "string")
PARAM_LINE = re.compile(r"^#\+ param (?P<name>[a-z][a-z0-9_]*) \((?P<spec>[^)]*)\): (?P<description>.+)$")
OUTERMOST_GROUP = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)
MAX_STRING = 500


class ParameterError(ValueError):
    """A parameter value that does not fit its declared type; the message says what would."""


class QueryFileError(ValueError):
    """A query file whose header cannot be read."""


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    description: str
    default: str | None = None
    required: bool = False
    minimum: int | None = None
    maximum: int | None = None

    def term(self, raw: str, base: str) -> ox.NamedNode | ox.Literal:
        """The value as an RDF term of this parameter's type, or ParameterError saying what is expected."""
        raw = raw.strip()
        if self.type == "iri":
            iri = raw if re.match(r"^https?://", raw) else f"{base}/{raw.lstrip('/')}"
            if re.search(r"[\x00-\x20<>\"{}|^`\\]", iri):
                raise ParameterError(f"{self.name} must be an IRI (an http(s) address, or a path such as id/place/…)")
            try:
                return ox.NamedNode(iri)
            except ValueError:
                raise ParameterError(f"{self.name} must be an IRI, not {raw!r}") from None
        if self.type == "integer":
            if not re.fullmatch(r"-?\d{1,9}", raw):
                raise ParameterError(f"{self.name} must be a whole number, not {raw!r}")
            number = int(raw)
            if (self.minimum is not None and number < self.minimum) or (
                self.maximum is not None and number > self.maximum
            ):
                raise ParameterError(f"{self.name} must be from {self.minimum} to {self.maximum}, not {number}")
            return ox.Literal(str(number), datatype=ox.NamedNode(XSD + "integer"))
        if self.type == "date":
            try:
                return ox.Literal(date.fromisoformat(raw).isoformat(), datatype=ox.NamedNode(XSD + "date"))
            except ValueError:
                raise ParameterError(f"{self.name} must be a date such as 2026-01-31, not {raw!r}") from None
        if len(raw) > MAX_STRING:
            raise ParameterError(f"{self.name} must be at most {MAX_STRING} characters")
        return ox.Literal(raw)


@dataclass(frozen=True)
class NamedQuery:
    name: str
    summary: str
    text: str
    description: str = ""
    tags: tuple[str, ...] = ()
    parameters: tuple[Parameter, ...] = ()

    def standalone(self, base: str, prefixes: dict[str, str]) -> str:
        """The query with the BASE and the PREFIX declarations it uses, to run on any SPARQL client; parameters
        are bound to their defaults."""
        defaults = {p.name: p.default for p in self.parameters if p.default is not None}
        text = self.bound(self.terms(defaults, base)) if self.parameters else self.text
        used = [name for name in prefixes if re.search(rf"(?<![\w:<]){re.escape(name)}:", text)]
        declarations = "".join(f"PREFIX {name}: {iri(prefixes[name])}\n" for name in sorted(used))
        return f"BASE {iri(base + '/')}\n{declarations}{text}"

    def terms(self, given: dict[str, str], base: str) -> dict[str, ox.NamedNode | ox.Literal]:
        """Each parameter's value (given, else its default) as an RDF term; unknown or missing ones refused."""
        known = {p.name: p for p in self.parameters}
        unknown = sorted(set(given) - set(known))
        if unknown:
            names = ", ".join(known) or "none"
            raise ParameterError(f"{self.name} takes no parameter {', '.join(unknown)} (it takes: {names})")
        terms = {}
        for parameter in self.parameters:
            raw = given.get(parameter.name, parameter.default)
            if raw is None or raw.strip() == "":
                if parameter.required:
                    raise ParameterError(f"{self.name} needs {parameter.name}: {parameter.description}")
                continue
            terms[parameter.name] = parameter.term(raw, base)
        return terms

    def bound(self, terms: dict[str, ox.NamedNode | ox.Literal]) -> str:
        """The query with a VALUES block binding every parameter (UNDEF where left out) at the start of its
        outermost group, for a store reached over the SPARQL protocol."""
        if not self.parameters:
            return self.text
        names = " ".join(f"?{p.name}" for p in self.parameters)
        values = " ".join(str(terms[p.name]) if p.name in terms else "UNDEF" for p in self.parameters)
        found = OUTERMOST_GROUP.search(_without_comments(self.text))
        if found is None:
            raise QueryFileError(f"queries/{self.name}.rq has parameters but no WHERE {{ to bind them in")
        at = found.end()
        return f"{self.text[:at]}\n  VALUES ({names}) {{ ({values}) }}{self.text[at:]}"


def _without_comments(text: str) -> str:
    """The text with each comment blanked out, keeping every character's position."""
    return re.sub(r"(?m)^\s*#.*$", lambda m: " " * len(m.group()), text)


def all_queries(directory: Path = QUERY_DIR) -> list[NamedQuery]:
    """Every named query, in name order."""
    return [load_query(path.stem, directory) for path in sorted(directory.glob("*.rq"))]


def load_query(name: str, directory: Path = QUERY_DIR) -> NamedQuery:
    """Read ``queries/{name}.rq`` and its header."""
    text = (directory / f"{name}.rq").read_text(encoding="utf-8")
    fields: dict[str, list[str]] = {}
    parameters = []
    key = None
    for line in text.splitlines():
        if not line.startswith("#+"):
            break
        if found := PARAM_LINE.match(line):
            parameters.append(_parameter(name, found["name"], found["spec"], found["description"]))
            key = None
        elif found := re.match(r"^#\+ ([a-z]+):\s*(.*)$", line):
            key = found[1]
            fields[key] = [found[2]] if found[2] else []
        elif key is not None:
            fields[key].append(line[2:].strip())
        else:
            raise QueryFileError(f"queries/{name}.rq: cannot read the header line {line!r}")
    return NamedQuery(
        name=name,
        summary=" ".join(fields.get("summary", [name])),
        text=text,
        description=" ".join(fields.get("description", [])),
        tags=tuple(t.removeprefix("- ").strip() for t in fields.get("tags", [])),
        parameters=tuple(parameters),
    )


def _parameter(query: str, name: str, spec: str, description: str) -> Parameter:
    if name == "format":
        raise QueryFileError(f"queries/{query}.rq: no parameter may be called format (it chooses the answer's format)")
    parts = [p.strip() for p in spec.split(",")]
    if parts[0] not in TYPES:
        raise QueryFileError(f"queries/{query}.rq: parameter {name} has type {parts[0]!r}, not one of {TYPES}")
    default: str | None = None
    required = True
    minimum: int | None = None
    maximum: int | None = None
    for part in parts[1:]:
        if part == "optional":
            required = False
        elif part.startswith("default "):
            default, required = part.removeprefix("default ").strip(), False
        elif found := re.fullmatch(r"(-?\d+)\.\.(-?\d+)", part):
            minimum, maximum = int(found[1]), int(found[2])
        else:
            raise QueryFileError(f"queries/{query}.rq: parameter {name} has an unknown option {part!r}")
    return Parameter(name, parts[0], description, default=default, required=required, minimum=minimum, maximum=maximum)

"""SPARQL results for the terminal (an aligned table) and for machines (the standard result formats)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from typing import IO, Any

import pyoxigraph as ox

from graph.rdf.terms import value_of
from graph.store.interface import Row

# A graph's statements come as pyoxigraph's answer (QueryTriples) or parsed from a store's (QuadParser).
QueryResult = ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples | ox.QuadParser

RESULT_FORMATS = {
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
    "json": ox.QueryResultsFormat.JSON,
    "xml": ox.QueryResultsFormat.XML,
}
GRAPH_FORMATS = {"table": ox.RdfFormat.N_TRIPLES, "ttl": ox.RdfFormat.TURTLE, "nt": ox.RdfFormat.N_TRIPLES}


def strings(solutions: Iterable[Any], names: Iterable[str] | None = None) -> list[dict[str, str]]:
    """Solutions (pyoxigraph's, or the SPARQL protocol's as dicts) as each bound variable's string value, for code
    that compares values rather than terms. pyoxigraph's need the ``names`` to read; dicts give their own."""
    wanted = tuple(names) if names is not None else None
    rows = []
    for solution in solutions:
        if isinstance(solution, Mapping):
            terms = [(name, solution.get(name)) for name in wanted] if wanted else list(solution.items())
        else:
            terms = [(name, solution[name]) for name in wanted or ()]
        rows.append({name: term.value for name, term in terms if term is not None})
    return rows


# What a spreadsheet program reads as the start of a formula (OWASP, "CSV Injection"): such a cell gets an apostrophe
# in front, which the program shows as text and does not run.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_csv(results: bytes) -> str:
    """SPARQL JSON results as CSV (RFC 4180, as SPARQL's CSV results format writes values), with every cell that a
    spreadsheet program would take for a formula written as text: a name on the map such as ``=HYPERLINK(…)``
    reaches a download that people open in a spreadsheet."""
    solutions = ox.parse_query_results(results, format=ox.QueryResultsFormat.JSON)
    assert isinstance(solutions, ox.QuerySolutions)  # a SELECT's
    names = [variable.value for variable in solutions.variables]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(names)
    for solution in solutions:
        values = [_csv_value(solution[name]) for name in names]
        writer.writerow(["'" + v if v.startswith(FORMULA_STARTS) else v for v in values])
    return out.getvalue()


def _csv_value(term: ox.NamedNode | ox.BlankNode | ox.Literal | ox.Triple | None) -> str:
    if term is None:
        return ""
    return f"_:{term.value}" if isinstance(term, ox.BlankNode) else value_of(term)


def cell(term: ox.NamedNode | ox.BlankNode | ox.Literal | None, base: str) -> str:
    """A term as a person reads it: literal values bare, ecomap's IRIs relative to the base."""
    if term is None:
        return ""
    if isinstance(term, ox.Literal):
        return term.value
    if isinstance(term, ox.NamedNode):
        return f"<{term.value[len(base) + 1 :]}>" if term.value.startswith(base + "/") else f"<{term.value}>"
    return str(term)


def table(solutions: ox.QuerySolutions | list[Row], base: str, columns: list[str] | None = None) -> str:
    """An aligned text table with a header row, of all the variables (of pyoxigraph's solutions) or just ``columns``."""
    if isinstance(solutions, ox.QuerySolutions):
        names = columns or [v.value for v in solutions.variables]
        rows = [{name: row[name] for name in names if row[name] is not None} for row in solutions]
    else:
        names, rows = columns or [], solutions
    return text_table(names, [[cell(row.get(name), base) for name in names] for row in rows])


def text_table(names: list[str], rows: list[list[str]]) -> str:
    widths = [max([len(name), *(len(r[i]) for r in rows)]) for i, name in enumerate(names)]
    lines = ["  ".join(n.ljust(w) for n, w in zip(names, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    lines.append(f"({len(rows)} row{'s' * (len(rows) != 1)})")
    return "\n".join(lines) + "\n"


def write(result: QueryResult, output: IO[bytes], format_name: str, base: str) -> None:
    """Write any query result: SELECT as a table or a SPARQL result format, ASK as true/false, graphs as RDF."""
    if isinstance(result, ox.QueryBoolean):
        if format_name == "table":
            output.write(b"true\n" if bool(result) else b"false\n")
        else:
            result.serialize(output, RESULT_FORMATS[format_name])
    elif not isinstance(result, ox.QuerySolutions):  # a graph, from CONSTRUCT or DESCRIBE
        rdf_format = GRAPH_FORMATS.get(format_name, ox.RdfFormat.N_TRIPLES)
        ox.serialize(result, output, rdf_format)
    elif format_name == "table":
        output.write(table(result, base).encode())
    else:
        result.serialize(output, RESULT_FORMATS[format_name])

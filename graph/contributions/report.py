"""Validation reports written for people (grouped by record, in plain English) and for machines."""

from __future__ import annotations

import json
from collections.abc import Callable
from itertools import groupby

from graph.contributions.validation import Finding, Report
from graph.rdf.namespaces import STANDARD


def as_text(report: Report, where: Callable[[Finding], str] | None = None) -> str:
    """Each record once, then each problem with its severity, field, offending value and how to fix it; ``where``
    says where a problem is in the input (a spreadsheet's row and column)."""
    if not report.findings:
        return "Conforms: no problems found.\n"
    lines: list[str] = []
    for (record, label), findings in groupby(report.findings, key=lambda f: (f.record, f.record_label)):
        lines.append(f"{label}  <{record}>")
        for f in findings:
            value = f": {f.value}" if f.value else ""
            lines.append(f"  {f.severity:<9} {where(f) if where else ''}{f.field}{value}")
            lines.append(f"            {f.message}")
        lines.append("")
    lines.append(_summary(report))
    return "\n".join(lines) + "\n"


def as_json(report: Report) -> str:
    records = []
    for (record, label), findings in groupby(report.findings, key=lambda f: (f.record, f.record_label)):
        records.append(
            {
                "record": record,
                "label": label,
                "results": [
                    {
                        "severity": f.severity,
                        "focusNode": f.focus,
                        "field": f.field,
                        "path": f.path,
                        "value": f.value,
                        "message": f.message,
                        "shape": f.shape,
                    }
                    for f in findings
                ],
            }
        )
    body = {
        "conforms": report.conforms,
        "violations": len(report.violations),
        "warnings": len(report.warnings),
        "records": records,
    }
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def as_turtle(report: Report) -> str:
    """The SHACL validation report itself, as pySHACL produced it."""
    report.graph.bind("sh", STANDARD["sh"])
    return report.graph.serialize(format="turtle")


def _summary(report: Report) -> str:
    v, w = len(report.violations), len(report.warnings)
    records = len({f.record for f in report.findings})
    parts = [f"{v} violation{'s' * (v != 1)}", f"{w} warning{'s' * (w != 1)}"]
    verdict = "Not valid: fix the violations." if v else "Valid, with warnings worth fixing."
    return f"{' and '.join(parts)} in {records} record{'s' * (records != 1)}. {verdict}"

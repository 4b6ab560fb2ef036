"""The submission template, generated from the shapes: CSV, XLSX (with drop-down lists) and its CSVW
description."""

from __future__ import annotations

from functools import cache

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from api.dependencies import AppServices, Services
from api.responses import answers, documented
from graph.sheets import template_csv, template_xlsx
from graph.template import Column, columns, csvw_metadata
from graph.validation import Validator

router = APIRouter(tags=["Contributions"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def template_columns(services: AppServices) -> tuple[Column, ...]:
    return _columns(services.settings.base_uri)


@cache
def _columns(base: str) -> tuple[Column, ...]:
    """The shapes do not change while the app runs, so neither do the columns made from them."""
    validator = Validator.from_repository(base)
    return tuple(columns(validator.shapes, validator.context, base))


@router.get(
    "/submissions/template.csv",
    summary="The CSV template for organisations, activities and relationships",
    response_class=Response,
    responses=documented({200: answers("The template", "text/csv")}),
)
async def csv_template(services: Services) -> Response:
    headers = {
        "Content-Disposition": 'attachment; filename="ecomap-template.csv"',
        "Link": '<template.csv-metadata.json>; rel="describedby"',
    }
    return Response(template_csv(template_columns(services)), media_type="text/csv; charset=utf-8", headers=headers)


@router.get(
    "/submissions/template.xlsx",
    summary="The XLSX template, with drop-down lists for every controlled value",
    response_class=Response,
    responses=documented({200: answers("The template", XLSX)}),
)
async def xlsx_template(services: Services) -> Response:
    headers = {"Content-Disposition": 'attachment; filename="ecomap-template.xlsx"'}
    return Response(template_xlsx(template_columns(services)), media_type=XLSX, headers=headers)


@router.get(
    "/submissions/template.csv-metadata.json",
    summary="The CSVW description of the template's columns",
    response_class=Response,
    responses=documented({200: answers("The CSVW metadata", "application/csvm+json")}),
)
async def csvw(services: Services) -> Response:
    return JSONResponse(csvw_metadata(template_columns(services), "template.csv"), media_type="application/csvm+json")

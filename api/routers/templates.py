"""The submission template, generated from the shapes: CSV, XLSX (with drop-down lists) and its CSVW
description."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse, Response

from api.dependencies import Services
from api.responses import answers, documented
from api.services.submission_template import XLSX, template_columns
from graph.contributions.sheets import template_csv, template_xlsx
from graph.contributions.template import csvw_metadata

router = APIRouter(tags=["Contributions"])


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

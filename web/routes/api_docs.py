"""/docs: Swagger UI for the JSON API, signed in, from the files of the `fastapi-offline` package.

FastAPI's own /docs loads Swagger UI from a CDN with an inline script, both refused by our CSP (script-src
'self'): the page stayed blank. Here the page, Swagger UI's script and style are ours, behind sign-in, and
the start-up script is /static/api-docs.js. /openapi.json stays public (it describes routes, no data).
"""

from pathlib import Path

import fastapi_offline
from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse

from web.security import current_viewer
from web.templating import page
from xinyu.access import Viewer

router = APIRouter()
SWAGGER = Path(fastapi_offline.__file__).parent / "static"
CACHED = {"Cache-Control": "private, max-age=86400"}  # the same files until the package is upgraded


@router.get("/docs", response_class=HTMLResponse, include_in_schema=False)
def docs_page(request: Request, _viewer: Viewer = Depends(current_viewer)) -> HTMLResponse:
    return page(request, "api_docs.html")


@router.get("/docs/swagger-ui-bundle.js", include_in_schema=False)
def swagger_script(_viewer: Viewer = Depends(current_viewer)) -> FileResponse:
    return FileResponse(SWAGGER / "swagger-ui-bundle.js", media_type="text/javascript", headers=CACHED)


@router.get("/docs/swagger-ui.css", include_in_schema=False)
def swagger_style(_viewer: Viewer = Depends(current_viewer)) -> FileResponse:
    return FileResponse(SWAGGER / "swagger-ui.css", media_type="text/css", headers=CACHED)

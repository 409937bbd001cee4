"""The API page (/docs) served entirely from this machine: Swagger UI from the installed `fastapi-offline`
package instead of a CDN, so it renders offline and without any third-party request.

Swagger UI 5 (which `fastapi-offline` bundles) is needed: FastAPI emits OpenAPI 3.1, which Swagger UI 4
(the `swagger-ui-bundle` package) cannot render. The page has no inline script, so a strict
Content-Security-Policy (script-src 'self') still lets it run.
"""

from __future__ import annotations

from pathlib import Path

import fastapi_offline
from fastapi import FastAPI, HTTPException
from fastapi.responses import FileResponse, HTMLResponse, Response

ASSETS_URL = "/docs-assets"
ASSETS_DIR = Path(fastapi_offline.__file__).parent / "static"
ASSETS = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css", "favicon.png": "image/png"}
INIT_JS = """window.ui = SwaggerUIBundle({
  url: document.getElementById("swagger-ui").dataset.openapi,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""


def docs_page(title: str, openapi_url: str) -> str:
    """The /docs HTML: local stylesheet, local scripts, the OpenAPI URL as a data attribute."""
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title} – docs</title>
<link rel="icon" type="image/png" href="{ASSETS_URL}/favicon.png">
<link rel="stylesheet" href="{ASSETS_URL}/swagger-ui.css"></head>
<body><div id="swagger-ui" data-openapi="{openapi_url}"></div>
<script src="{ASSETS_URL}/swagger-ui-bundle.js"></script>
<script src="{ASSETS_URL}/init.js"></script></body></html>
"""


def add_api_docs(api: FastAPI, url: str = "/docs") -> None:
    """Serve Swagger UI at ``url`` from the installed assets (create the app with ``docs_url=None``)."""
    page = docs_page(api.title, api.openapi_url or "/openapi.json")

    @api.get(url, include_in_schema=False)
    def docs() -> HTMLResponse:
        return HTMLResponse(page)

    @api.get(f"{ASSETS_URL}/init.js", include_in_schema=False)
    def init_js() -> Response:
        return Response(INIT_JS, media_type="text/javascript")

    @api.get(ASSETS_URL + "/{name}", include_in_schema=False)
    def asset(name: str) -> FileResponse:
        if name not in ASSETS:  # a fixed list: no path from the request ever reaches the file system
            raise HTTPException(404)
        return FileResponse(ASSETS_DIR / name, media_type=ASSETS[name])

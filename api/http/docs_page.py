"""The interactive API page (``/schema``) served wholly from this package, for intranets.

Litestar's Swagger page loads its JavaScript, CSS and favicon from a CDN by default; a
government intranet without internet access would get a blank page. The files of
``swagger-ui-dist`` (npm, Apache-2.0; version in ``static/swagger-ui/VERSION``) are vendored in
``static/swagger-ui`` and served by a static files router, and the page points at them. Swagger
UI's online validator badge is switched off too, so the page makes no request off this server.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Request, Router
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.static_files import create_static_files_router

STATIC = Path(__file__).resolve().parent / "static" / "swagger-ui"
STATIC_PATH = "/static/swagger-ui"


class OfflineSwagger(SwaggerRenderPlugin):
    """Swagger UI with every asset from ``STATIC_PATH`` and no online validator."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(
            js_url=f"{STATIC_PATH}/swagger-ui-bundle.js",
            css_url=f"{STATIC_PATH}/swagger-ui.css",
            standalone_preset_js_url=f"{STATIC_PATH}/swagger-ui-standalone-preset.js",
            favicon=f"<link rel='icon' type='image/png' href='{STATIC_PATH}/favicon-32x32.png'>",
            **kwargs,
        )

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        page = super().render(request, openapi_schema)
        return page.replace(b"deepLinking: true,", b"validatorUrl: null,\n deepLinking: true,", 1)


def swagger_assets() -> Router:
    """``GET /static/swagger-ui/<file>``: the vendored files, no token needed, cached a day."""
    from litestar.datastructures import CacheControlHeader

    return create_static_files_router(
        path=STATIC_PATH,
        directories=[STATIC],
        name="swagger-ui",
        cache_control=CacheControlHeader(max_age=86400, public=True),
        include_in_schema=False,
    )

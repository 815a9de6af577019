"""Swagger UI served from the sidecar itself (package `swagger-ui-bundle`): no CDN, works behind firewalls."""

from __future__ import annotations

from apiflask import APIFlask
from flask import send_from_directory
from swagger_ui_bundle import swagger_ui_path

STATIC_PREFIX = "/docs/static"
ASSETS = {"swagger-ui.css", "swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "favicon-32x32.png",
          "favicon-16x16.png", "swagger-ui-bundle.js.map", "swagger-ui-standalone-preset.js.map",
          "swagger-ui.css.map"}


def configure_docs(app: APIFlask) -> None:
    app.config.update(
        SWAGGER_UI_CSS=f"{STATIC_PREFIX}/swagger-ui.css",
        SWAGGER_UI_BUNDLE_JS=f"{STATIC_PREFIX}/swagger-ui-bundle.js",
        SWAGGER_UI_STANDALONE_PRESET_JS=f"{STATIC_PREFIX}/swagger-ui-standalone-preset.js",
        DOCS_FAVICON=f"{STATIC_PREFIX}/favicon-32x32.png",
        SWAGGER_UI_CONFIG={"deepLinking": True, "displayRequestDuration": True, "tryItOutEnabled": False,
                           "validatorUrl": None},
    )

    @app.get(f"{STATIC_PREFIX}/<path:filename>")
    @app.doc(hide=True)
    def swagger_static(filename: str):
        if filename not in ASSETS:
            from billing_portal.sidecar.errors import ApiError

            raise ApiError(404, "no such asset")
        return send_from_directory(str(swagger_ui_path), filename, max_age=86400)

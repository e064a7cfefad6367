"""The OpenAPI document, generated from the route table."""

from __future__ import annotations

import re
from typing import Any

from aiohttp import web

from crm.api.context import reply
from crm.api.routes import ROUTES, Route

PREFIX_KEY = web.AppKey("crm_prefix", str)
PROBLEM = {"$ref": "#/components/schemas/Problem"}


def openapi_document(prefix: str = "/api") -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    for route in (*ROUTES, _SELF):
        operation: dict[str, Any] = {
            "summary": route.summary,
            "operationId": route.handler.__name__,
            "parameters": [
                *(
                    {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                    for name in re.findall(r"{(\w+)}", route.path)
                ),
                *(
                    {"name": name, "in": "query", "required": False, "schema": {"type": "string"}}
                    for name in route.query
                ),
            ],
            "responses": {
                "200": {"description": "OK", "content": {t: {} for t in route.produces}},
                "400": _problem("Bad input"),
                "401": _problem("Not logged in"),
                "403": _problem("Role lacks the permission"),
                "404": _problem("Not found"),
                "409": _problem("Not allowed in the current state"),
            },
        }
        if route.public:
            operation["security"] = []
        else:
            operation["x-permission"] = route.permission.value if route.permission else None
        if route.method in ("POST", "PUT", "PATCH"):
            operation["requestBody"] = {
                "required": route.path not in ("/logout",),
                "content": {route.body: {"schema": _body_schema(route.body)}},
            }
        if route.body == "multipart/form-data":
            operation["responses"]["413"] = _problem("The upload is over the size limit")
        paths.setdefault(prefix + route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "CTI CRM API", "version": "1"},
        "paths": paths,
        "security": [{"bearer": []}],
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
            "schemas": {
                "Problem": {
                    "type": "object",
                    "properties": {
                        "type": {"type": "string"},
                        "title": {"type": "string"},
                        "status": {"type": "integer"},
                        "detail": {"type": "string"},
                    },
                    "required": ["title", "status"],
                }
            },
        },
    }


def _body_schema(media_type: str) -> dict[str, Any]:
    if media_type == "multipart/form-data":
        return {
            "type": "object",
            "properties": {"file": {"type": "string", "format": "binary"}},
            "required": ["file"],
        }
    return {"type": "object"}


def _problem(description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/problem+json": {"schema": PROBLEM}},
    }


async def get_openapi(request: web.Request) -> web.Response:
    return reply(openapi_document(request.app.get(PREFIX_KEY, "/api")))


_SELF = Route("GET", "/openapi.json", get_openapi, None, "This document")

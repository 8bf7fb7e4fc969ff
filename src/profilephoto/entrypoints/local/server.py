"""The local server: the Lambda handlers behind a Starlette app, as API Gateway would host them."""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from profilephoto.bootstrap import bootstrap
from profilephoto.containers.local import LocalContainer
from profilephoto.entrypoints.asgi import api_routes, exact, json_error, object_route
from profilephoto.entrypoints.aws_lambda import (
    openapi,
    process,
    reconcile,
    runtime,
    webhooks,
    websocket,
)
from profilephoto.entrypoints.local import gateway
from profilephoto.entrypoints.local.background import Background
from profilephoto.entrypoints.local.ws import WebSocketRoute as LiveSocket
from profilephoto.settings import Settings, load_settings

STATIC = Path(__file__).parent / "static"


class PageFiles(StaticFiles):
    """The page's files. Its scripts are ES modules, which a browser runs only when they are
    served as JavaScript, whatever the host's MIME table says (Windows' may say text/plain)."""

    def file_response(
        self,
        full_path: str | os.PathLike[str],
        stat_result: os.stat_result,
        scope: Scope,
        status_code: int = 200,
    ) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        if os.fspath(full_path).endswith(".js"):
            response.headers["content-type"] = "text/javascript; charset=utf-8"
        return response


def base_url_for(host: str, port: int) -> str:
    """The URL clients reach the server at; a wildcard bind is reached on the loopback."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "", "::") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}"


def create_app(
    data_dir: Path | str,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    settings: Settings | None = None,
    base_url: str | None = None,
    visibility_timeout: float | None = None,
    sweep_every: float = 60.0,
) -> Starlette:
    """The whole product on one machine over `data_dir`, its URLs under `base_url`."""
    settings = settings or load_settings()
    container = bootstrap(
        "local",
        settings,
        data_dir=data_dir,
        base_url=base_url or base_url_for(host, port),
        visibility_timeout=visibility_timeout,
    )
    container.inspector()  # built now: a check this Python cannot run fails at start
    uow, clock = container.uow(), container.clock()
    background = Background(
        container.queue(),
        process.handler,
        reconcile.handler,
        sweep_every=sweep_every,
        housekeeping=lambda: uow.purge_expired(clock.now()),
        webhooks=(container.webhooks(), webhooks.handler),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # The container's settings, not `settings`: they carry the default bucket names.
        runtime.install(container, container.settings())
        await background.start()
        try:
            yield
        finally:
            await background.stop()
            runtime.install(None)
            container.uow().close()
            container.queue().close()
            container.pauses().close()
            container.webhooks().close()

    app = Starlette(
        routes=_routes(container, settings),
        lifespan=lifespan,
        exception_handlers={HTTPException: json_error},
    )
    app.state.container = container
    app.state.background = background
    return app


def _routes(container: LocalContainer, settings: Settings) -> list[BaseRoute]:
    """The API an embedding host gets from `profilephoto.asgi_app`, with the local token
    auth, plus the page, the WebSocket and the OpenAPI document."""

    def verify_header(authorization: str | None) -> dict[str, Any]:
        claims: dict[str, Any] = container.auth().verify_header(authorization)
        return claims

    def verify_token(token: str) -> dict[str, Any]:
        claims: dict[str, Any] = container.auth().verify(token)
        return claims

    async def index(request: Request) -> Response:
        return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def about(request: Request) -> Response:
        # What the page adapts to; nothing here is secret (the footer, the count picker).
        config = container.settings()
        return JSONResponse(
            {
                "generator": container.generator().model_name,
                "maxVariants": config.max_variants,
                "maxUploadBytes": config.max_upload_bytes,
            }
        )

    async def openapi_json(request: Request) -> Response:
        # No authentication, as docs/api.md says: the document is public (docs/openapi.json).
        return Response(openapi.render(), media_type="application/json")

    binding = runtime.Binding(container, container.settings())
    live = LiveSocket(container.hub(), verify_token, websocket.handler)
    routes: list[BaseRoute] = [
        Route("/", index, methods=["GET"]),
        Route("/healthz", health, methods=["GET"]),
        Route("/about", about, methods=["GET"]),
        Route("/openapi.json", openapi_json, methods=["GET"]),
        *api_routes(binding, gateway.header_claims(verify_header)),
        object_route([container.uploads(), container.results()], settings.origins),
        WebSocketRoute("/ws", live.handle),
        Mount("/static", PageFiles(directory=STATIC), name="static"),
    ]
    return [exact(route) for route in routes]

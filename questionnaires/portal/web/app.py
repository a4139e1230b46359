"""The portal's web app: FastAPI, server-rendered pages (jinja2), plain forms; JavaScript only for passkeys and
to show conditional questions as soon as they apply.

``create_app(config)`` is what ``vendorwatch portal`` serves with uvicorn and what the tests and the benchmark
start. ``GET /healthz`` is the only page open without signing in (besides the sign-in and enrolment pages).
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from questionnaires.portal.web.context import HERE, LANGUAGES, Portal, PortalConfig, render
from questionnaires.portal.web.request_routes import SignInRequiredError
from questionnaires.portal.web.request_routes import router as request_router
from questionnaires.portal.web.security import SecurityMiddleware
from questionnaires.portal.web.signin_routes import CsrfRefusedError, portal_of
from questionnaires.portal.web.signin_routes import router as signin_router

FORM_OVERHEAD = 1024 * 1024  # the multipart envelope and the other fields of an upload form


def create_app(config: PortalConfig) -> FastAPI:
    """The portal over a database; the evidence store and limits from ``config``."""
    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    app.state.portal = Portal(config)

    @app.get("/healthz")
    async def healthz() -> Response:
        """Liveness for load balancers and monitoring (no sign-in, no data)."""
        return PlainTextResponse("ok")

    @app.get("/language/{code}")
    async def choose_language(request: Request, code: str) -> Response:
        """Switch the language and go back to the page (only to a path of this site)."""
        target = request.query_params.get("next", "/")
        if not target.startswith("/") or target.startswith("//") or "\\" in target:
            target = "/"
        response = RedirectResponse(target, status_code=303)
        if code in LANGUAGES:
            response.set_cookie("vwp_lang", code, max_age=365 * 24 * 3600, httponly=True, samesite="lax",
                                secure=request.url.scheme == "https")
        return response

    app.include_router(signin_router)
    app.include_router(request_router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.exception_handler(SignInRequiredError)
    async def sign_in_first(request: Request, error: SignInRequiredError) -> Response:
        return RedirectResponse("/signin?m=ended" if error.ended else "/signin", status_code=303)

    @app.exception_handler(CsrfRefusedError)
    async def forbidden(request: Request, _error: CsrfRefusedError) -> Response:
        return render(portal_of(request), request, "error.html.j2", status=403, title="forbidden", lead="forbidden_lead")

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if error.status_code == 404:
            return render(portal_of(request), request, "error.html.j2", status=404, title="not_found",
                          lead="not_found_lead")
        return PlainTextResponse(str(error.detail), status_code=error.status_code)

    @app.exception_handler(RequestValidationError)
    async def bad_path(request: Request, _error: RequestValidationError) -> Response:
        return render(portal_of(request), request, "error.html.j2", status=404, title="not_found",
                      lead="not_found_lead")

    app.add_middleware(SecurityMiddleware, max_body=config.evidence.max_bytes + FORM_OVERHEAD)
    return app

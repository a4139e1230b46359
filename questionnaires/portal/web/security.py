"""What every response of the portal carries, before any page runs: security headers, the browser-binding cookie
(the key of the form tokens and of the passkey ceremonies), and a cap on request bodies.

A pure ASGI middleware (no body buffering): headers are added to ``http.response.start``; a POST whose declared
length passes the cap is answered 413 without being read, and a body that grows past it while streaming is cut.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from http.cookies import SimpleCookie
from typing import Any

from questionnaires.portal.tokens import new_secret

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
HEADERS: list[tuple[bytes, bytes]] = [
    (b"content-security-policy", CSP.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"cross-origin-resource-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=(), payment=()"),
]
HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
NO_STORE = (b"cache-control", b"no-store")


def is_secure(scope: Scope) -> bool:
    """Served over TLS (directly, or behind a trusted proxy that said so in X-Forwarded-Proto)."""
    return scope.get("scheme") == "https"


def cookie_name(base: str, secure: bool) -> str:
    """``__Host-`` prefixed under TLS: the browser then insists on Secure, Path=/ and no Domain."""
    return f"__Host-{base}" if secure else base


def cookie_header(name: str, value: str, *, secure: bool, same_site: str = "Lax", max_age: int | None = None) -> str:
    """A Set-Cookie value: HttpOnly always, Secure under TLS."""
    parts = [f"{name}={value}", "Path=/", "HttpOnly", f"SameSite={same_site}"]
    if secure:
        parts.append("Secure")
    if max_age is not None:
        parts.append(f"Max-Age={max_age}")
    return "; ".join(parts)


def request_cookies(scope: Scope) -> dict[str, str]:
    """The cookies a request sent."""
    jar: SimpleCookie = SimpleCookie()
    for name, value in scope.get("headers", []):
        if name == b"cookie":
            try:
                jar.load(value.decode("latin-1"))
            except Exception:  # noqa: S112 - a malformed cookie header is ignored, not an error page
                continue
    return {key: morsel.value for key, morsel in jar.items()}


class SecurityMiddleware:
    """Headers, the binding cookie and the body cap, around the whole app."""

    def __init__(self, app: ASGIApp, *, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        secure = is_secure(scope)
        name = cookie_name("vwp_b", secure)
        binding = request_cookies(scope).get(name)
        fresh = None
        if not binding or len(binding) > 100:
            binding = fresh = new_secret()
        scope.setdefault("state", {})["binding"] = binding
        static = scope.get("path", "").startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [h for h in HEADERS if h[0] not in present]
                if secure:
                    headers.append(HSTS)
                if not static and NO_STORE[0] not in present:
                    headers.append(NO_STORE)
                if fresh is not None and not static:
                    headers.append((b"set-cookie", cookie_header(name, fresh, secure=secure,
                                                                 same_site="Strict").encode()))
                message["headers"] = headers
            await send(message)

        declared = next((v for k, v in scope.get("headers", []) if k == b"content-length"), None)
        if declared is not None and declared.isdigit() and int(declared) > self.max_body:
            await _too_large(send_with_headers)
            return
        seen = 0

        async def capped_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise BodyTooLargeError
            return message

        try:
            await self.app(scope, capped_receive, send_with_headers)
        except BodyTooLargeError:
            await _too_large(send_with_headers)


class BodyTooLargeError(Exception):
    """A request body that grew past the cap while it was read."""


async def _too_large(send: Send) -> None:
    body = ("<!doctype html><html lang=\"ja\"><meta charset=\"utf-8\"><title>413</title>"
            "<p>送信されたデータが大きすぎます。ファイルの上限を確認してください。</p>"
            "<p lang=\"en\">The request is too large: check the file size limit.</p>"
            "<p><a href=\"/\">戻る / Back</a></p></html>").encode()
    await send({"type": "http.response.start", "status": 413,
                "headers": [(b"content-type", b"text/html; charset=utf-8"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})

"""Security headers on every response, and no caching of what a signed-in person sees."""

from flask import request, session

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


def _static(endpoint: str | None) -> bool:
    return endpoint is not None and (endpoint == "static" or endpoint.endswith(".static"))


def _signed_in() -> bool:
    """A browser with a login in its session, or an API request with a token (valid or not):
    read from the request, so that no user is loaded for this."""
    return session.get("_user_id") is not None or "Authorization" in request.headers


def init_app(app):
    @app.after_request
    def set_headers(response):
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        # Pages and exports of a signed-in person stay out of the browser's and any proxy's
        # cache (a shared office computer, the back button after logging out); static files
        # are the same for everyone and stay cacheable.
        if not _static(request.endpoint) and _signed_in():
            response.headers.setdefault("Cache-Control", "no-store")
        return response

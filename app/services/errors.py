"""Errors a use case raises. Views, the API and the CLI each turn them into their own answer."""


class ServiceError(Exception):
    """A refused request: a machine-readable code, a translated message, optional field errors."""

    status = 400

    def __init__(
        self, code: str, message: str, fields: dict | None = None, status: int | None = None
    ):
        super().__init__(message)
        self.code = code
        self.message = message
        self.fields = fields or {}
        if status is not None:
            self.status = status

    def to_dict(self) -> dict:
        error = {"code": self.code, "message": self.message}
        if self.fields:
            error["fields"] = self.fields
        return {"error": error}


class NotFound(ServiceError):
    status = 404


class Forbidden(ServiceError):
    status = 403


class Conflict(ServiceError):
    status = 409


class Invalid(ServiceError):
    """Input that cannot be accepted; `fields` names each bad field."""

    status = 422


class Vetoed(Conflict):
    """Plugins refused a move; `vetoes` lists each refusal as {"plugin", "message"}."""

    def __init__(self, vetoes: list[dict]):
        message = " ".join(f"{veto['plugin']}: {veto['message']}" for veto in vetoes)
        super().__init__("vetoed", message)
        self.vetoes = vetoes

    def to_dict(self) -> dict:
        body = super().to_dict()
        body["error"]["vetoes"] = self.vetoes
        return body


class Unauthorized(ServiceError):
    status = 401


class TooManyAttempts(ServiceError):
    """Refused for now; `retry_after` (seconds) becomes the Retry-After header."""

    status = 429

    def __init__(self, code: str, message: str, retry_after: int | None = None):
        super().__init__(code, message)
        self.retry_after = retry_after

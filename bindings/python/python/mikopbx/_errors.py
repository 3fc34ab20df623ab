"""The exception tree of the MikoPBX SDK.

Every error the SDK raises derives from :class:`MikoPBXError`. The Rust core decides which kind an
error is (one classification, shared by every language); this module only gives each kind a Python
class, named as stripe-python names its errors. Catch :class:`MikoPBXError` for "anything from the
PBX client", or a subclass to handle one cause. No class shadows a builtin
(``PermissionDeniedError``, not ``PermissionError``).

Every exception has the same attributes, read from the core's error accessors (``None`` or empty
where they do not apply): ``kind``, ``operation``, ``status``, ``tls_kind``, ``messages``,
``retry_after``, ``resource``, ``required``, plus ``granted``/``origin`` of a permission refusal
and ``cause``/``ruled_out``/``remaining`` of a 401 diagnosis.

The message (``str(exc)``) says what to do. Neither the message nor ``repr()`` ever contains the API
key: the core never puts it in an error, and nothing here adds it.
"""

from __future__ import annotations

from typing import Any, ClassVar, Dict, List, Optional, Sequence, Type

__all__ = [
    "MikoPBXError",
    "AuthenticationError",
    "PermissionDeniedError",
    "NetworkRestrictedError",
    "NotFoundError",
    "ValidationError",
    "ConflictError",
    "RateLimitError",
    "FirewallBlockedError",
    "ServiceBusyError",
    "ServerError",
    "TLSError",
    "APIConnectionError",
    "APITimeoutError",
    "InsecureTransportError",
    "DecodeError",
    "ConfigurationError",
    "exception_class_for_kind",
]


class MikoPBXError(Exception):
    """Base class of every error raised by the SDK.

    Attributes:
        kind: the core's error kind (``"permission_denied"``, ``"tls"``, ...), the same name in
            every language and in the shared test scenarios.
        message: what went wrong and what to do about it (also ``str(exc)``).
        operation: the SDK operation, such as ``"extensions.list"``, or ``None``.
        status: the HTTP status of the response, or ``None`` when there was none (refused
            locally, connection or TLS failure, ...).
        tls_kind: why the certificate was refused (``TLSError``): ``"unknown_issuer"``,
            ``"expired"``, ``"hostname_mismatch"``, ``"pin_mismatch"`` or ``"other"``.
        messages: the server's messages (validation, not found, conflict, server errors; a
            refused login's "... you have N attempts left"; the login and refresh rate limits).
        retry_after: seconds to wait, when the PBX said (rate limit, busy).
        resource: for a permission refusal, the resource as the path segment after ``/api/v3/``
            (``"employees"``), or ``None`` for a path a PBX module adds (``client.request``).
        allowed_path: for a permission refusal, the ``allowed_paths`` key to grant
            (``"/api/v3/employees"``, ``"/api/v3/module-example/tasks"``).
        required: ``"read"`` or ``"write"``: the access the refused call needs.
        granted: what the key holds on that resource, or ``None``.
        origin: ``"local"`` (refused before sending: nothing was sent) or ``"server"``.
        cause: for a 401, the diagnosed cause: ``"invalid_key"``, ``"no_key"``, ``"id_quirk"``
            (the PBX's id heuristic refuses restricted keys on this record id),
            ``"wrong_credentials"`` (``login`` refused the user name or password),
            ``"logged_out"`` (this client logged out; nothing was sent), ``"session_expired"``
            (the PBX refused the session's refresh token: log in again) or ``"undetermined"``.
        ruled_out, remaining: for a 401, the causes the client excluded and those still possible.
    """

    kind: ClassVar[str] = "unknown"

    def __init__(
        self,
        message: str,
        *,
        operation: Optional[str] = None,
        status: Optional[int] = None,
        tls_kind: Optional[str] = None,
        messages: Sequence[str] = (),
        retry_after: Optional[float] = None,
        resource: Optional[str] = None,
        allowed_path: Optional[str] = None,
        required: Optional[str] = None,
        granted: Optional[str] = None,
        origin: Optional[str] = None,
        cause: Optional[str] = None,
        ruled_out: Sequence[str] = (),
        remaining: Sequence[str] = (),
    ) -> None:
        super().__init__(message)
        self.message = message
        self.operation = operation
        self.status = status
        self.tls_kind = tls_kind
        self.messages: List[str] = list(messages)
        self.retry_after = retry_after
        self.resource = resource
        self.allowed_path = allowed_path
        self.required = required
        self.granted = granted
        self.origin = origin
        self.cause = cause
        self.ruled_out: List[str] = list(ruled_out)
        self.remaining: List[str] = list(remaining)

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        fields = [
            f"{name}={value!r}"
            for name, value in self.__dict__.items()
            if name != "message" and value not in (None, [])
        ]
        return f"{type(self).__name__}({', '.join([repr(self.message), *fields])})"

    def __reduce__(self) -> Any:
        # Keep pickling (multiprocessing, celery) working with keyword-only fields.
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


def _rebuild(cls: Type[MikoPBXError], message: str, state: Dict[str, Any]) -> MikoPBXError:
    exc = cls.__new__(cls)
    Exception.__init__(exc, message)
    exc.__dict__.update(state)
    return exc


class AuthenticationError(MikoPBXError):
    """401: the PBX refused the key, the login or the session. The PBX says nothing more; the
    client's diagnosis narrows it down (``cause``) and says what it ruled out (``ruled_out``,
    ``remaining``)."""

    kind = "unauthorized"


class PermissionDeniedError(MikoPBXError):
    """The key lacks the permission this call needs (``resource``, ``required``), found locally
    before sending (when the client knows the key's permissions) or by diagnosing the server's
    401 (``origin``)."""

    kind = "permission_denied"


class NetworkRestrictedError(MikoPBXError):
    """The key is limited to a network (for example localhost only) this client is not in."""

    kind = "network_restricted"


class NotFoundError(MikoPBXError):
    """The record or endpoint does not exist."""

    kind = "not_found"


class ValidationError(MikoPBXError):
    """422/400, or refused before sending: the input is not acceptable (``messages``)."""

    kind = "validation"


class ConflictError(MikoPBXError):
    """409: the change conflicts with existing data (for example a record still in use)."""

    kind = "conflict"


class RateLimitError(MikoPBXError):
    """429: too many requests (the PBX bans for 300 s × 2ⁿ), or too many logins or session
    refreshes from this address (``messages`` then says so); ``retry_after`` when it said."""

    kind = "rate_limited"


class FirewallBlockedError(MikoPBXError):
    """The PBX's web application firewall refused the request (plain-text 403)."""

    kind = "blocked_by_firewall"


class ServiceBusyError(MikoPBXError):
    """503: the PBX's worker queue is full; the core already retried."""

    kind = "service_busy"


class ServerError(MikoPBXError):
    """An unexpected server-side failure (5xx or an unknown status); see ``status``."""

    kind = "server"


class TLSError(MikoPBXError):
    """The server's certificate was not accepted (``tls_kind``). Certificate checks cannot be
    switched off: trust the PBX's CA (``ca_cert=``) or pin its certificate (``cert_sha256=``)."""

    kind = "tls"


class APIConnectionError(MikoPBXError):
    """The PBX could not be reached (refused, reset, DNS, ...)."""

    kind = "connect"


class APITimeoutError(MikoPBXError):
    """The call did not finish within its deadline (``timeout=``, retries included)."""

    kind = "timeout"


class InsecureTransportError(MikoPBXError):
    """An ``http://`` URL to a non-loopback host, or a redirect to HTTPS: use the https URL."""

    kind = "insecure_transport"


class DecodeError(MikoPBXError):
    """The response could not be understood; the message carries a bounded excerpt."""

    kind = "decode"


class ConfigurationError(MikoPBXError):
    """The client was configured wrongly (bad URL, certificate, pin or option), an argument was
    not acceptable, or the client is closed."""

    kind = "config"


_BY_KIND: Dict[str, Type[MikoPBXError]] = {cls.kind: cls for cls in MikoPBXError.__subclasses__()}


def _from_native(kind: str, message: str, fields: Dict[str, Any]) -> MikoPBXError:
    """Called by the Rust layer to turn a core error into the matching exception instance."""
    return _BY_KIND.get(kind, MikoPBXError)(message, **fields)


def exception_class_for_kind(kind: str) -> Type[MikoPBXError]:
    """The exception class for a core error kind name (as used in the shared scenarios)."""
    return _BY_KIND[kind]

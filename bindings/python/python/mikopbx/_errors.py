"""The exception tree of the MikoPBX SDK.

Every error the SDK raises derives from :class:`MikoPBXError`. The Rust core decides which kind an
error is (one classification, shared by every language); this module only gives each kind a Python
class. Catch :class:`MikoPBXError` for "anything from the PBX client", or a subclass to handle one
cause. No class shadows a builtin (``PermissionDeniedError``, not ``PermissionError``).

The message (``str(exc)``) says what to do. Neither the message nor ``repr()`` ever contains the API
key: the core never puts it in an error, and nothing here adds it.
"""

from __future__ import annotations

from typing import Any, ClassVar, Dict, List, Mapping, Optional, Type

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
]


class MikoPBXError(Exception):
    """Base class of every error raised by the SDK.

    Attributes:
        message: what went wrong and what to do about it.
        status: the HTTP status of the response, or ``None`` when there was no response
            (refused locally, connection or TLS failure, ...).
        operation: the SDK operation, such as ``"extensions.list"``, or ``None``.
        error_kind: the core's error kind (``"permission_denied"``, ``"tls"``, ...), the same name
            in every language and in the shared test scenarios (a class attribute).
    """

    error_kind: ClassVar[str] = "unknown"

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        operation: Optional[str] = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.operation = operation

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        fields = [f"{name}={value!r}" for name, value in self._repr_fields().items()]
        return f"{type(self).__name__}({', '.join([repr(self.message), *fields])})"

    def _repr_fields(self) -> Dict[str, Any]:
        return {"status": self.status, "operation": self.operation}

    def __reduce__(self) -> Any:
        # Keep pickling (multiprocessing, celery) working with keyword-only fields.
        return (_rebuild, (type(self), self.message, dict(self.__dict__)))


def _rebuild(cls: Type[MikoPBXError], message: str, state: Dict[str, Any]) -> MikoPBXError:
    exc = cls.__new__(cls)
    Exception.__init__(exc, message)
    exc.__dict__.update(state)
    return exc


class AuthenticationError(MikoPBXError):
    """401: the PBX refused the key. The PBX says nothing more; the client's diagnosis narrows
    it down and says what it ruled out.

    Attributes:
        cause: ``"invalid_key"`` (wrong, revoked or mistyped), ``"no_key"``, ``"id_quirk"`` (the
            PBX's id heuristic refuses restricted keys on this record id) or ``"undetermined"``.
        ruled_out: causes the client checked and excluded.
        remaining: causes still possible.
    """

    error_kind = "unauthorized"

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        operation: Optional[str] = None,
        cause: Optional[str] = None,
        ruled_out: Optional[List[str]] = None,
        remaining: Optional[List[str]] = None,
    ) -> None:
        super().__init__(message, status=status, operation=operation)
        self.cause = cause
        self.ruled_out: List[str] = list(ruled_out or [])
        self.remaining: List[str] = list(remaining or [])

    def _repr_fields(self) -> Dict[str, Any]:
        return {**super()._repr_fields(), "cause": self.cause}


class PermissionDeniedError(MikoPBXError):
    """The key lacks the permission this call needs, found locally before sending (when the
    client knows the key's permissions) or by diagnosing the server's 401.

    Attributes:
        resource: the resource, as the path segment after ``/api/v3/`` (``"employees"``,
            ``"api-keys"``); the permission to grant is ``/api/v3/<resource>``.
        required: ``"read"`` or ``"write"``.
        granted: what the key holds on that resource (``"read"``, ``"write"``) or ``None``.
        origin: ``"local"`` (refused before sending: nothing was sent) or ``"server"``.
    """

    error_kind = "permission_denied"

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        operation: Optional[str] = None,
        resource: Optional[str] = None,
        required: Optional[str] = None,
        granted: Optional[str] = None,
        origin: Optional[str] = None,
    ) -> None:
        super().__init__(message, status=status, operation=operation)
        self.resource = resource
        self.required = required
        self.granted = granted
        self.origin = origin

    def _repr_fields(self) -> Dict[str, Any]:
        return {
            **super()._repr_fields(),
            "resource": self.resource,
            "required": self.required,
            "origin": self.origin,
        }


class NetworkRestrictedError(MikoPBXError):
    """The key is limited to a network (for example localhost only) this client is not in."""

    error_kind = "network_restricted"


class NotFoundError(MikoPBXError):
    """The record or endpoint does not exist."""

    error_kind = "not_found"


class ValidationError(MikoPBXError):
    """422/400: the PBX rejected the input. ``messages`` holds the server's messages."""

    error_kind = "validation"

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        operation: Optional[str] = None,
        messages: Optional[List[str]] = None,
    ) -> None:
        super().__init__(message, status=status, operation=operation)
        self.messages: List[str] = list(messages or [])

    def _repr_fields(self) -> Dict[str, Any]:
        return {**super()._repr_fields(), "messages": self.messages}


class ConflictError(MikoPBXError):
    """409: the change conflicts with existing data (for example a record still in use)."""

    error_kind = "conflict"


class RateLimitError(MikoPBXError):
    """429: too many requests. ``retry_after`` is the wait in seconds, when the PBX said."""

    error_kind = "rate_limited"

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        operation: Optional[str] = None,
        retry_after: Optional[float] = None,
    ) -> None:
        super().__init__(message, status=status, operation=operation)
        self.retry_after = retry_after

    def _repr_fields(self) -> Dict[str, Any]:
        return {**super()._repr_fields(), "retry_after": self.retry_after}


class FirewallBlockedError(MikoPBXError):
    """The PBX's web application firewall refused the request (plain-text 403)."""

    error_kind = "blocked_by_firewall"


class ServiceBusyError(MikoPBXError):
    """503: the PBX's worker queue is full; the core already retried."""

    error_kind = "service_busy"


class ServerError(MikoPBXError):
    """An unexpected server-side failure (5xx or an unknown status); see ``status``."""

    error_kind = "server"


class TLSError(MikoPBXError):
    """The server's certificate was not accepted. Certificate checks cannot be switched off:
    trust the PBX's CA (``ca_cert=``) or pin its certificate (``cert_sha256=``).

    Attributes:
        kind: the cause: ``"unknown_issuer"``, ``"expired"``, ``"hostname_mismatch"``,
            ``"pin_mismatch"`` or ``"other"``.
    """

    error_kind = "tls"

    def __init__(
        self,
        message: str,
        *,
        status: Optional[int] = None,
        operation: Optional[str] = None,
        kind: Optional[str] = None,
    ) -> None:
        super().__init__(message, status=status, operation=operation)
        self.kind: str = kind or "other"

    def _repr_fields(self) -> Dict[str, Any]:
        return {**super()._repr_fields(), "kind": self.kind}


class APIConnectionError(MikoPBXError):
    """The PBX could not be reached (refused, reset, DNS, ...)."""

    error_kind = "connect"


class APITimeoutError(MikoPBXError):
    """The call did not finish within its deadline (``timeout=``, retries included)."""

    error_kind = "timeout"


class InsecureTransportError(MikoPBXError):
    """An ``http://`` URL to a non-loopback host, or a redirect to HTTPS: use the https URL."""

    error_kind = "insecure_transport"


class DecodeError(MikoPBXError):
    """The response could not be understood; the message carries a bounded excerpt."""

    error_kind = "decode"


class ConfigurationError(MikoPBXError):
    """The client was configured wrongly (bad URL, unreadable certificate, bad pin, ...)."""

    error_kind = "config"


_BY_KIND: Dict[str, Type[MikoPBXError]] = {
    cls.error_kind: cls
    for cls in (
        AuthenticationError,
        PermissionDeniedError,
        NetworkRestrictedError,
        NotFoundError,
        ValidationError,
        ConflictError,
        RateLimitError,
        FirewallBlockedError,
        ServiceBusyError,
        ServerError,
        TLSError,
        APIConnectionError,
        APITimeoutError,
        InsecureTransportError,
        DecodeError,
        ConfigurationError,
    )
}

# Extra attributes each class accepts; anything else the native layer sends is ignored.
_EXTRA_FIELDS: Dict[Type[MikoPBXError], tuple[str, ...]] = {
    AuthenticationError: ("cause", "ruled_out", "remaining"),
    PermissionDeniedError: ("resource", "required", "granted", "origin"),
    ValidationError: ("messages",),
    RateLimitError: ("retry_after",),
    TLSError: ("kind",),
}


def _from_native(
    kind: str,
    message: str,
    status: Optional[int],
    operation: Optional[str],
    details: Mapping[str, Any],
) -> MikoPBXError:
    """Called by the Rust layer to turn a core error into the matching exception instance."""
    cls = _BY_KIND.get(kind, MikoPBXError)
    extra = {name: details[name] for name in _EXTRA_FIELDS.get(cls, ()) if name in details}
    return cls(message, status=status, operation=operation, **extra)


def exception_class_for_kind(kind: str) -> Type[MikoPBXError]:
    """The exception class for a core error kind name (as used in the shared scenarios)."""
    return _BY_KIND[kind]

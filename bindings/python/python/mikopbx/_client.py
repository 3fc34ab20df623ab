"""The blocking ``Client`` and the asyncio ``AsyncClient``: one base, one list of options.

Both are thin: every call goes to the Rust core (``mikopbx._native``), which builds the request,
checks permissions, retries, paginates and classifies errors. Their resource handles
(``client.employees``, ...) are generated from the core's operations (``_api.py``). Blocking calls
release the GIL while they wait; async calls run on the one tokio runtime shared by every client,
and cancelling the asyncio task drops the Rust future (the request is abandoned).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from types import TracebackType
from typing import (
    TYPE_CHECKING,
    Any,
    Dict,
    List,
    Literal,
    Mapping,
    Optional,
    Tuple,
    Type,
    TypedDict,
    TypeVar,
    Union,
)

from . import _logging, _native
from ._native import NativeClient
from ._api import Access, AsyncResources, NetworkFilter, Resources
from ._calls import AsyncCallsApi, CallsApi
from ._errors import ConfigurationError

if TYPE_CHECKING:
    from typing_extensions import Unpack

__all__ = [
    "Client",
    "AsyncClient",
    "ClientOptions",
    "Permissions",
    "RateLimit",
    "ApiResponse",
    "Session",
]

#: A key's permissions: ``"full"``, or a map from resource to ``"read"``/``"write"``. Resources are
#: short names (``{"extensions": "read"}``) or API paths (``{"/api/v3/extensions": "read"}``).
Permissions = Union[Literal["full"], Mapping[str, Access]]
#: A trusted CA or server certificate: a file path, or the PEM/DER content itself.
CaCert = Union[str, "os.PathLike[str]", bytes]
#: ``False`` turns the client's request governor off; ``(count, period_seconds, burst)`` sets it.
RateLimit = Union[Literal[False], Tuple[int, float, int]]


class ClientOptions(TypedDict, total=False):
    """The options of :class:`Client`, :class:`AsyncClient` and their ``from_env()``.

    - ``api_key``: the Bearer key (never logged, never in ``repr()`` or errors).
    - ``ca_cert``: trust this CA or the PBX's own certificate (a path, or PEM/DER content).
    - ``cert_sha256``: pin the server certificate's SHA-256 fingerprint (what ``mikopbx doctor``
      prints), the way to reach a PBX with its default certificate by IP. Certificate
      verification cannot be switched off.
    - ``timeout``: total seconds of a call, retries included; ``connect_timeout``: per connection.
    - ``max_retries``: retries of idempotent calls and of "queue full" answers.
    - ``permissions`` (and ``key_network``, the key's network filter): what the key may do, so a
      call it cannot make fails locally with :class:`PermissionDeniedError`, and a refusal by the
      PBX is diagnosed precisely.
    - ``local_address``: bind the local side (e.g. ``"127.0.0.2"``).
    - ``rate_limit``: the client's request governor (on by default for non-loopback hosts).
    - ``user_agent``: prepended to the SDK's User-Agent.
    - ``ami_username`` and ``ami_secret``: the Asterisk manager (AMI) login for click-to-call
      (``calls.originate``), spoken over AJAM on the PBX's Asterisk HTTPS port with the same
      certificate checks; ``ajam_port`` (default 8089) and ``ajam_cert_sha256`` (that port's
      own pin, when it serves another certificate). The secret is never logged or shown.
    - ``allow_dangerous_actions``: let this client run the operations that can stop or destroy
      the PBX (``system.reboot``, ``system.shutdown``, …); without it they raise
      :class:`ConfigurationError` and nothing is sent. Leave it off in integrations.
    - ``record_usage``: learn mode, a file (path) where the client appends the name of each
      operation it performs, once per client; ``mikopbx keys create --from-usage FILE`` makes the
      least-privilege key from it. Without the option, the ``MIKOPBX_RECORD_USAGE`` environment
      variable turns it on. Nothing secret is written, and a file that cannot be written never
      fails a call.
    """

    api_key: str
    ca_cert: CaCert
    cert_sha256: str
    timeout: float
    connect_timeout: float
    max_retries: int
    permissions: Permissions
    key_network: NetworkFilter
    local_address: str
    rate_limit: RateLimit
    user_agent: str
    allow_dangerous_actions: bool
    ami_username: str
    ami_secret: str
    ajam_port: int
    ajam_cert_sha256: str
    record_usage: Union[str, "os.PathLike[str]"]


_VERSION = _native.__version__


def _read_ca_cert(ca_cert: CaCert) -> bytes:
    if isinstance(ca_cert, bytes):
        return ca_cert
    if isinstance(ca_cert, str) and ca_cert.lstrip().startswith("-----BEGIN"):
        return ca_cert.encode("ascii")
    path = os.fspath(ca_cert)
    try:
        with open(path, "rb") as f:
            return f.read()
    except OSError as exc:
        raise ConfigurationError(
            f"cannot read the CA certificate file {path!r} ({exc.strerror or exc}); pass the path "
            "of the PBX's CA or certificate in PEM or DER, or its PEM text"
        ) from None


def _native_options(options: ClientOptions) -> Dict[str, object]:
    """The options as the native client takes them (unknown names are refused there). Also
    tells the native layer which log levels anyone listens to, before it logs the construction."""
    out: Dict[str, object] = {name: v for name, v in options.items() if v is not None}
    ca_cert = options.get("ca_cert")
    if ca_cert is not None:
        out["ca_cert"] = _read_ca_cert(ca_cert)
    record_usage = options.get("record_usage")
    if record_usage is not None:
        out["record_usage"] = os.fspath(record_usage)
    permissions = options.get("permissions")
    if permissions is not None and not isinstance(permissions, str):
        out["permissions"] = dict(permissions)
    suffix = f"mikopbx-python/{_VERSION}"
    out["user_agent"] = f"{out['user_agent']} {suffix}" if out.get("user_agent") else suffix
    _logging.sync_level()
    return out


_C = TypeVar("_C", bound="_ClientBase")


@dataclass(frozen=True)
class Session:
    """A web session (``client.login``): the user the PBX logged in and when the current access
    token expires (UTC; it moves forward each time the client renews it). Never a token: the SDK
    keeps both tokens to itself, in memory."""

    login: str
    expires_at: datetime

    @classmethod
    def _from_native(cls, native: Tuple[str, float]) -> Session:
        login, expires_at = native
        return cls(login, datetime.fromtimestamp(expires_at, tz=timezone.utc))


@dataclass(frozen=True)
class ApiResponse:
    """The answer of ``client.request``: the HTTP status, the envelope's ``data`` decoded from
    JSON (dicts, lists, strings as the PBX sent them), and its messages."""

    status: int
    data: Any
    messages: List[str] = field(default_factory=list)

    @classmethod
    def _from_native(cls, answer: Tuple[int, str, List[str]]) -> ApiResponse:
        status, data_json, messages = answer
        return cls(status, json.loads(data_json), list(messages))


class _ClientBase:
    _native: NativeClient

    def __init__(self, url: str, **options: Unpack[ClientOptions]) -> None:
        try:
            native = NativeClient(url, _native_options(options))
        finally:
            _logging.flush()
        self._start(native)

    @classmethod
    def from_env(cls: Type[_C], **options: Unpack[ClientOptions]) -> _C:
        """A client from ``MIKOPBX_URL``, ``MIKOPBX_API_KEY``, ``MIKOPBX_CA_CERT`` (a path) and
        ``MIKOPBX_CERT_SHA256``, with these options on top."""
        client = cls.__new__(cls)
        try:
            native = NativeClient.from_env(_native_options(options))
        finally:
            _logging.flush()
        client._start(native)
        return client

    #: Live call events: ``calls.watch()`` (not a REST resource, so not in the generated API).
    calls: CallsApi

    #: The ``calls`` class of this client kind (blocking or asyncio ``originate``).
    _calls_class: Type[CallsApi] = CallsApi

    def _start(self, native: NativeClient) -> None:
        self._native = native
        self._attach(native)
        self.calls = self._calls_class(native)

    def _attach(self, native: NativeClient) -> None:
        raise NotImplementedError  # the generated resource mixin provides it

    @property
    def url(self) -> str:
        """The PBX base URL."""
        return self._native.url

    def __repr__(self) -> str:
        # Never the key: only the address.
        return f"{type(self).__name__}(url={self.url!r})"

    @property
    def session(self) -> Optional[Session]:
        """The web session while this client is logged in (``login``), else ``None``."""
        native = self._native.session()
        return None if native is None else Session._from_native(native)

    def close(self) -> None:
        """Release the connection pool. Later calls raise :class:`ConfigurationError`. It does
        not log out: call ``logout()`` first to end a session on the PBX."""
        self._native.close()


class Client(Resources, _ClientBase):
    """A blocking MikoPBX client; safe to share between threads. Options: :class:`ClientOptions`.

    >>> with mikopbx.Client("https://pbx.example.com", api_key="…", ca_cert="ca.pem") as pbx:
    ...     for ext in pbx.extensions.list(search="20"):
    ...         print(ext.number, ext.callerid)
    """

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    def request(self, method: str, path: str, body: Any = None) -> ApiResponse:
        """Send a request the typed API does not cover: above all an endpoint a PBX module
        adds. ``path`` starts with ``/pbxcore/api/v3/`` or ``/pbxcore/api/modules/`` and may
        carry a query string; ``body`` (a dict or list) is sent as JSON.

        The same pipeline as every call: the key's known permissions are checked first, retries
        and the rate governor apply (POST and PATCH are never re-sent after an ambiguous
        failure), errors are the typed exceptions. A path of the typed API runs as that
        operation, and dangerous system actions stay refused unless the client was built with
        ``allow_dangerous_actions``.

        >>> pbx.request("GET", "/pbxcore/api/v3/module-example-rest-api-v3/tasks?limit=10").data
        """
        return ApiResponse._from_native(self._native.request(method, path, body))


    def login(self, username: str, password: str) -> Session:
        """Start a web session on a client built without ``api_key``: log in as the PBX web user
        ``username`` (the administrator is ``admin``). Every later call carries the session's
        access token, which the client renews before it expires; ``logout()`` ends it. The
        tokens stay in the SDK's memory (never on disk, in ``repr()``, logs or errors) and the
        password is not kept.

        Raises :class:`AuthenticationError` (``cause == "wrong_credentials"``, the PBX's
        "attempts left" in ``messages``) for a wrong name or password, :class:`RateLimitError`
        once the PBX refuses logins from this address (10 failures in 5 minutes), and
        :class:`ConfigurationError` on a client with an API key. A login is never repeated
        after an ambiguous failure.

        >>> with mikopbx.Client("https://pbx.example.com", ca_cert="ca.pem") as pbx:
        ...     pbx.login("admin", password)
        ...     pbx.system.check_auth()
        ...     pbx.logout()
        """
        return Session._from_native(self._native.login(username, password))

    def logout(self) -> None:
        """End the web session: the PBX forgets the refresh token and the client both tokens,
        whatever the answer. Later calls raise :class:`AuthenticationError`
        (``cause == "logged_out"``) until the next ``login``. Does nothing when not logged in."""
        self._native.logout()


class AsyncClient(AsyncResources, _ClientBase):
    """The asyncio MikoPBX client. Options: :class:`ClientOptions`.

    >>> async with mikopbx.AsyncClient(url, api_key=key, ca_cert=ca) as pbx:
    ...     async for ext in pbx.extensions.list(search="20"):
    ...         print(ext.number, ext.callerid)
    """

    _calls_class = AsyncCallsApi
    calls: AsyncCallsApi

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

    async def request(self, method: str, path: str, body: Any = None) -> ApiResponse:
        """:meth:`Client.request`, awaited."""
        return ApiResponse._from_native(await self._native.request_async(method, path, body))

    async def login(self, username: str, password: str) -> Session:
        """:meth:`Client.login`, awaited."""
        return Session._from_native(await self._native.login_async(username, password))

    async def logout(self) -> None:
        """:meth:`Client.logout`, awaited."""
        await self._native.logout_async()

"""The blocking ``Client`` and the asyncio ``AsyncClient``.

Both are thin: every call goes to the Rust core (``mikopbx._native``), which builds the request,
checks permissions, retries, paginates and classifies errors. Blocking calls release the GIL while
they wait; async calls run on the one tokio runtime shared by every client, and cancelling the
asyncio task drops the Rust future (the request is abandoned, nothing keeps running).
"""

from __future__ import annotations

import datetime as _dt
import os
from types import TracebackType
from typing import (
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Dict,
    Generic,
    Iterator,
    List,
    Literal,
    Mapping,
    Optional,
    Tuple,
    Type,
    TypeVar,
    Union,
)

from . import _logging, _native
from ._errors import ConfigurationError
from ._models import (
    ActiveCall,
    ActiveChannel,
    ApiKeyInfo,
    CdrCall,
    CdrRecord,
    Employee,
    Extension,
    ExtensionOption,
    SysInfo,
    _list_of,
)

__all__ = [
    "Client",
    "AsyncClient",
    "PageIterator",
    "AsyncPageIterator",
    "Permissions",
    "Network",
    "RateLimit",
]

T = TypeVar("T")

#: A key's permissions: ``"full"``, or a map from resource to ``"read"``/``"write"``. Resources are
#: short names (``{"extensions": "read"}``) or API paths (``{"/api/v3/extensions": "read"}``).
Permissions = Union[Literal["full"], Mapping[str, str]]
#: Where an API key may be used from: ``"any"``, ``"localhost"``, or a network filter id.
Network = Union[Literal["any", "localhost"], int]
#: A trusted CA or server certificate: a file path, or the PEM/DER content itself.
CaCert = Union[str, "os.PathLike[str]", bytes]
DateLike = Union[str, _dt.date, _dt.datetime]
#: ``False`` turns the client's request governor off; ``(count, period_seconds, burst)`` sets it.
RateLimit = Union[Literal[False], Tuple[int, float, int]]

_VERSION = getattr(_native, "__version__", "0")


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


def _date(value: Optional[DateLike]) -> Optional[str]:
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, _dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value.isoformat()


def _args(**kwargs: Any) -> Dict[str, Any]:
    """Drop unset keyword arguments: the core applies its own defaults."""
    return {name: value for name, value in kwargs.items() if value is not None}


def _options(
    *,
    api_key: Optional[str],
    ca_cert: Optional[CaCert],
    cert_sha256: Optional[str],
    timeout: Optional[float],
    connect_timeout: Optional[float],
    max_retries: Optional[int],
    permissions: Optional[Permissions],
    key_network: Optional[Network] = None,
    local_address: Optional[str],
    rate_limit: Optional[RateLimit],
    user_agent: Optional[str],
) -> Dict[str, Any]:
    suffix = f"mikopbx-python/{_VERSION}"
    if user_agent:
        suffix = f"{user_agent} {suffix}"
    opts = _args(
        api_key=api_key,
        ca_cert=_read_ca_cert(ca_cert) if ca_cert is not None else None,
        cert_sha256=cert_sha256,
        timeout=timeout,
        connect_timeout=connect_timeout,
        max_retries=max_retries,
        permissions=(
            permissions if permissions is None or isinstance(permissions, str) else dict(permissions)
        ),
        key_network=key_network,
        local_address=local_address,
        user_agent=suffix,
    )
    if rate_limit is not None:
        opts["rate_limit"] = rate_limit
    return opts


class _ClientBase:
    _core: _native.NativeClient

    def _init(self, native: _native.NativeClient) -> None:
        self._core = native
        _logging.sync_level()

    @property
    def url(self) -> str:
        """The PBX base URL."""
        return self._core.url

    def __repr__(self) -> str:
        # Never the key: only the address.
        return f"{type(self).__name__}(url={self.url!r})"

    def close(self) -> None:
        """Release the connection pool. Later calls raise :class:`ConfigurationError`."""
        self._core.close()


# --------------------------------------------------------------------------------------------
# Iteration over pages
# --------------------------------------------------------------------------------------------


class PageIterator(Generic[T]):
    """A lazy iterator over every item of a list operation, fetching one page at a time.

    Nothing is sent until iteration starts. ``pages()`` iterates page by page instead.
    """

    def __init__(self, pager: _native.NativePager, convert: Callable[[Mapping[str, Any]], T]):
        self._pager = pager
        self._convert = convert
        self._buffer: List[T] = []
        self._done = False

    def __iter__(self) -> PageIterator[T]:
        return self

    def _fetch(self) -> Optional[List[T]]:
        try:
            page = self._pager.next_page()
        finally:
            _logging.flush()
        if page is None:
            self._done = True
            return None
        return [self._convert(item) for item in page]

    def __next__(self) -> T:
        while not self._buffer:
            if self._done:
                raise StopIteration
            page = self._fetch()
            if page is None:
                raise StopIteration
            self._buffer = page
            self._buffer.reverse()
        return self._buffer.pop()

    def pages(self) -> Iterator[List[T]]:
        """Iterate page by page (each a list), continuing where item iteration stopped."""
        if self._buffer:
            rest = list(reversed(self._buffer))
            self._buffer = []
            yield rest
        while not self._done:
            page = self._fetch()
            if page is None:
                return
            yield page

    @property
    def checkpoint(self) -> Optional[str]:
        """For CDR lists: the id of the last record fetched, to pass as ``resume_after=`` later."""
        return self._pager.checkpoint

    @property
    def total(self) -> Optional[int]:
        """How many items the PBX says the list has (after the first page; lists that report
        no total give ``None``)."""
        return self._pager.total


class AsyncPageIterator(Generic[T]):
    """The ``async for`` twin of :class:`PageIterator`."""

    def __init__(self, pager: _native.NativePager, convert: Callable[[Mapping[str, Any]], T]):
        self._pager = pager
        self._convert = convert
        self._buffer: List[T] = []
        self._done = False

    def __aiter__(self) -> AsyncPageIterator[T]:
        return self

    async def _fetch(self) -> Optional[List[T]]:
        try:
            page = await self._pager.next_page_async()
        finally:
            _logging.flush()
        if page is None:
            self._done = True
            return None
        return [self._convert(item) for item in page]

    async def __anext__(self) -> T:
        while not self._buffer:
            if self._done:
                raise StopAsyncIteration
            page = await self._fetch()
            if page is None:
                raise StopAsyncIteration
            self._buffer = page
            self._buffer.reverse()
        return self._buffer.pop()

    async def pages(self) -> AsyncIterator[List[T]]:
        """Iterate page by page (each a list)."""
        if self._buffer:
            rest = list(reversed(self._buffer))
            self._buffer = []
            yield rest
        while not self._done:
            page = await self._fetch()
            if page is None:
                return
            yield page

    async def to_list(self) -> List[T]:
        """Collect every item (mind the size of what you ask for)."""
        return [item async for item in self]

    @property
    def checkpoint(self) -> Optional[str]:
        """For CDR lists: the id of the last record fetched, to pass as ``resume_after=`` later."""
        return self._pager.checkpoint

    @property
    def total(self) -> Optional[int]:
        """How many items the PBX says the list has (after the first page; lists that report
        no total give ``None``)."""
        return self._pager.total


# --------------------------------------------------------------------------------------------
# Blocking client
# --------------------------------------------------------------------------------------------


class _Sync:
    def __init__(self, client: Client) -> None:
        self._client = client

    def _call(self, operation: str, args: Optional[Dict[str, Any]] = None) -> Any:
        try:
            return self._client._core.call(operation, args or {})
        finally:
            _logging.flush()

    def _pager(
        self, operation: str, args: Dict[str, Any], convert: Callable[[Mapping[str, Any]], T]
    ) -> PageIterator[T]:
        return PageIterator(self._client._core.pager(operation, args), convert)


class SystemAPI(_Sync):
    """``system``: liveness and credentials."""

    def ping(self) -> bool:
        """``GET system:ping`` (public). True when the PBX answers."""
        return bool(self._call("system.ping"))

    def check_auth(self) -> bool:
        """``GET system:checkAuth``: True when the key is accepted; raises otherwise."""
        return bool(self._call("system.check_auth"))


class SysinfoAPI(_Sync):
    """``sysinfo``: information about the PBX."""

    def get_info(self) -> SysInfo:
        return SysInfo._from_native(self._call("sysinfo.get_info"))


class ExtensionsAPI(_Sync):
    """``extensions`` (read-only): every internal number."""

    def list(
        self, *, search: Optional[str] = None, type: Optional[str] = None, page_size: Optional[int] = None
    ) -> PageIterator[Extension]:
        """All extensions matching the filters, fetched lazily page by page."""
        return self._pager(
            "extensions.list", _args(search=search, type=type, page_size=page_size), Extension._from_native
        )

    def get(self, number: str) -> Extension:
        return Extension._from_native(self._call("extensions.get", {"number": number}))

    def get_for_select(self, type: Optional[str] = None) -> List[ExtensionOption]:
        return _list_of(ExtensionOption, self._call("extensions.get_for_select", _args(type=type)))

    def available(self, number: str) -> bool:
        """True when ``number`` is free to use for a new extension."""
        return bool(self._call("extensions.available", {"number": number}))


class EmployeesAPI(_Sync):
    """``employees``: users with their SIP extension (the write path for both)."""

    def list(self, *, search: Optional[str] = None, page_size: Optional[int] = None) -> PageIterator[Employee]:
        return self._pager("employees.list", _args(search=search, page_size=page_size), Employee._from_native)

    def get(self, id: Union[str, int]) -> Employee:
        return Employee._from_native(self._call("employees.get", {"id": str(id)}))

    def create(
        self,
        *,
        number: str,
        user_username: str,
        sip_secret: str,
        user_email: Optional[str] = None,
        mobile_number: Optional[str] = None,
        **fields: Any,
    ) -> Employee:
        """Create an employee and their extension ``number``."""
        body = _args(
            number=number,
            user_username=user_username,
            sip_secret=sip_secret,
            user_email=user_email,
            mobile_number=mobile_number,
            **fields,
        )
        return Employee._from_native(self._call("employees.create", {"employee": body}))

    def update(
        self,
        id: Union[str, int],
        *,
        number: str,
        user_username: str,
        sip_secret: str,
        user_email: Optional[str] = None,
        mobile_number: Optional[str] = None,
        **fields: Any,
    ) -> Employee:
        """Replace an employee (PUT): every required field again."""
        body = _args(
            number=number,
            user_username=user_username,
            sip_secret=sip_secret,
            user_email=user_email,
            mobile_number=mobile_number,
            **fields,
        )
        return Employee._from_native(self._call("employees.update", {"id": str(id), "employee": body}))

    def patch(self, id: Union[str, int], **fields: Any) -> Employee:
        """Change only the given fields (PATCH)."""
        return Employee._from_native(self._call("employees.patch", {"id": str(id), "patch": _args(**fields)}))

    def delete(self, id: Union[str, int]) -> None:
        self._call("employees.delete", {"id": str(id)})


class CdrAPI(_Sync):
    """``cdr``: call detail records."""

    def list(
        self,
        *,
        date_from: Optional[DateLike] = None,
        date_to: Optional[DateLike] = None,
        src_num: Optional[str] = None,
        dst_num: Optional[str] = None,
        did: Optional[str] = None,
        disposition: Optional[str] = None,
        linkedid: Optional[str] = None,
        search: Optional[str] = None,
        page_size: Optional[int] = None,
        resume_after: Optional[Union[str, int]] = None,
    ) -> PageIterator[CdrRecord]:
        """Every matching record, lazily (memory stays bounded however many there are).

        ``resume_after`` continues an earlier export after the record with that id (see
        :attr:`PageIterator.checkpoint`). The PBX limits a query to 365 days.
        """
        args = _args(
            date_from=_date(date_from),
            date_to=_date(date_to),
            src_num=src_num,
            dst_num=dst_num,
            did=did,
            disposition=disposition,
            linkedid=linkedid,
            search=search,
            page_size=page_size,
            resume_after=None if resume_after is None else str(resume_after),
        )
        return self._pager("cdr.list", args, CdrRecord._from_native)

    def list_calls(
        self,
        *,
        date_from: Optional[DateLike] = None,
        date_to: Optional[DateLike] = None,
        src_num: Optional[str] = None,
        dst_num: Optional[str] = None,
        did: Optional[str] = None,
        disposition: Optional[str] = None,
        linkedid: Optional[str] = None,
        search: Optional[str] = None,
        page_size: Optional[int] = None,
        resume_after: Optional[Union[str, int]] = None,
    ) -> PageIterator[CdrCall]:
        """Every matching call, grouped by ``linkedid`` with its legs, lazily; filters and
        ``resume_after`` work as in :meth:`list`."""
        args = _args(
            date_from=_date(date_from),
            date_to=_date(date_to),
            src_num=src_num,
            dst_num=dst_num,
            did=did,
            disposition=disposition,
            linkedid=linkedid,
            search=search,
            page_size=page_size,
            resume_after=None if resume_after is None else str(resume_after),
        )
        return self._pager("cdr.list_calls", args, CdrCall._from_native)


class PbxStatusAPI(_Sync):
    """``pbx-status``: what is happening right now."""

    def active_calls(self) -> List[ActiveCall]:
        return _list_of(ActiveCall, self._call("pbx_status.active_calls"))

    def active_channels(self) -> List[ActiveChannel]:
        return _list_of(ActiveChannel, self._call("pbx_status.active_channels"))


def _key_body(
    description: str, key: Optional[str], permissions: Permissions, network: Network
) -> Dict[str, Any]:
    return _args(
        description=description,
        key=key,
        permissions=permissions if isinstance(permissions, str) else dict(permissions),
        network=network,
    )


class ApiKeysAPI(_Sync):
    """``api-keys``: create least-privilege keys for integrations."""

    def generate_key(self) -> str:
        """A new random key (64 hex characters). The PBX shows it once: store it now."""
        return str(self._call("api_keys.generate_key"))

    def create(
        self, *, description: str, key: str, permissions: Permissions, network: Network = "any"
    ) -> ApiKeyInfo:
        """Register ``key`` (from :meth:`generate_key`) with ``permissions`` (``"full"``, or a map
        such as :func:`mikopbx.minimal_permissions` returns) usable from ``network``."""
        body = _key_body(description, key, permissions, network)
        return ApiKeyInfo._from_native(self._call("api_keys.create", {"api_key": body}))

    def list(self) -> PageIterator[ApiKeyInfo]:
        return self._pager("api_keys.list", {}, ApiKeyInfo._from_native)

    def get(self, id: Union[str, int]) -> ApiKeyInfo:
        return ApiKeyInfo._from_native(self._call("api_keys.get", {"id": str(id)}))

    def update(
        self,
        id: Union[str, int],
        *,
        description: str,
        key: Optional[str] = None,
        permissions: Permissions,
        network: Network,
    ) -> ApiKeyInfo:
        """Replace a key's settings (PUT: every setting is given again). Without ``key`` the
        current key stays valid."""
        body = _key_body(description, key, permissions, network)
        return ApiKeyInfo._from_native(self._call("api_keys.update", {"id": str(id), "api_key": body}))

    def delete(self, id: Union[str, int]) -> None:
        """Revoke a key; the PBX refuses it at once."""
        self._call("api_keys.delete", {"id": str(id)})


class Client(_ClientBase):
    """A blocking MikoPBX client; safe to share between threads.

    Operations are grouped as on the PBX: ``system``, ``sysinfo``, ``extensions``, ``employees``,
    ``cdr``, ``pbx_status``, ``api_keys``.

    ``ca_cert`` trusts a CA or the PBX's own certificate (path, or PEM/DER content);
    ``cert_sha256`` pins the server certificate's SHA-256 fingerprint (what ``mikopbx doctor``
    prints). Certificate verification cannot be switched off. ``permissions`` (and
    ``key_network``, the key's network filter) tell the client what the key may do, so a call it
    cannot make fails locally with :class:`PermissionDeniedError`, and a refusal by the PBX is
    diagnosed precisely. ``local_address`` binds the local side (e.g. ``"127.0.0.2"``). ``timeout`` is the total time of a call, retries included.
    """

    def __init__(
        self,
        url: str,
        *,
        api_key: Optional[str] = None,
        ca_cert: Optional[CaCert] = None,
        cert_sha256: Optional[str] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        permissions: Optional[Permissions] = None,
        key_network: Optional[Network] = None,
        local_address: Optional[str] = None,
        rate_limit: Optional[RateLimit] = None,
        user_agent: Optional[str] = None,
    ) -> None:
        opts = _options(
            api_key=api_key,
            ca_cert=ca_cert,
            cert_sha256=cert_sha256,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            permissions=permissions,
            key_network=key_network,
            local_address=local_address,
            rate_limit=rate_limit,
            user_agent=user_agent,
        )
        try:
            self._init(_native.NativeClient(url, opts))
        finally:
            _logging.flush()
        self._attach_resources()

    def _attach_resources(self) -> None:
        self.system = SystemAPI(self)
        self.sysinfo = SysinfoAPI(self)
        self.extensions = ExtensionsAPI(self)
        self.employees = EmployeesAPI(self)
        self.cdr = CdrAPI(self)
        self.pbx_status = PbxStatusAPI(self)
        self.api_keys = ApiKeysAPI(self)

    @classmethod
    def from_env(
        cls,
        *,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        permissions: Optional[Permissions] = None,
        key_network: Optional[Network] = None,
        local_address: Optional[str] = None,
        rate_limit: Optional[RateLimit] = None,
        user_agent: Optional[str] = None,
    ) -> Client:
        """A client from ``MIKOPBX_URL``, ``MIKOPBX_API_KEY``, ``MIKOPBX_CA_CERT`` (a path) and
        ``MIKOPBX_CERT_SHA256``."""
        opts = _options(
            api_key=None,
            ca_cert=None,
            cert_sha256=None,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            permissions=permissions,
            key_network=key_network,
            local_address=local_address,
            rate_limit=rate_limit,
            user_agent=user_agent,
        )
        self = cls.__new__(cls)
        try:
            self._init(_native.NativeClient.from_env(opts))
        finally:
            _logging.flush()
        self._attach_resources()
        return self

    def __enter__(self) -> Client:
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()


# --------------------------------------------------------------------------------------------
# Async client
# --------------------------------------------------------------------------------------------


class _Async:
    def __init__(self, client: AsyncClient) -> None:
        self._client = client

    async def _call(self, operation: str, args: Optional[Dict[str, Any]] = None) -> Any:
        try:
            awaitable: Awaitable[Any] = self._client._core.call_async(operation, args or {})
            return await awaitable
        finally:
            _logging.flush()

    def _pager(
        self, operation: str, args: Dict[str, Any], convert: Callable[[Mapping[str, Any]], T]
    ) -> AsyncPageIterator[T]:
        return AsyncPageIterator(self._client._core.pager(operation, args), convert)


class AsyncSystemAPI(_Async):
    """``system``: liveness and credentials."""

    async def ping(self) -> bool:
        return bool(await self._call("system.ping"))

    async def check_auth(self) -> bool:
        return bool(await self._call("system.check_auth"))


class AsyncSysinfoAPI(_Async):
    """``sysinfo``: information about the PBX."""

    async def get_info(self) -> SysInfo:
        return SysInfo._from_native(await self._call("sysinfo.get_info"))


class AsyncExtensionsAPI(_Async):
    """``extensions`` (read-only): every internal number."""

    def list(
        self, *, search: Optional[str] = None, type: Optional[str] = None, page_size: Optional[int] = None
    ) -> AsyncPageIterator[Extension]:
        return self._pager(
            "extensions.list", _args(search=search, type=type, page_size=page_size), Extension._from_native
        )

    async def get(self, number: str) -> Extension:
        return Extension._from_native(await self._call("extensions.get", {"number": number}))

    async def get_for_select(self, type: Optional[str] = None) -> List[ExtensionOption]:
        return _list_of(ExtensionOption, await self._call("extensions.get_for_select", _args(type=type)))

    async def available(self, number: str) -> bool:
        return bool(await self._call("extensions.available", {"number": number}))


class AsyncEmployeesAPI(_Async):
    """``employees``: users with their SIP extension."""

    def list(
        self, *, search: Optional[str] = None, page_size: Optional[int] = None
    ) -> AsyncPageIterator[Employee]:
        return self._pager("employees.list", _args(search=search, page_size=page_size), Employee._from_native)

    async def get(self, id: Union[str, int]) -> Employee:
        return Employee._from_native(await self._call("employees.get", {"id": str(id)}))

    async def create(
        self,
        *,
        number: str,
        user_username: str,
        sip_secret: str,
        user_email: Optional[str] = None,
        mobile_number: Optional[str] = None,
        **fields: Any,
    ) -> Employee:
        body = _args(
            number=number,
            user_username=user_username,
            sip_secret=sip_secret,
            user_email=user_email,
            mobile_number=mobile_number,
            **fields,
        )
        return Employee._from_native(await self._call("employees.create", {"employee": body}))

    async def update(
        self,
        id: Union[str, int],
        *,
        number: str,
        user_username: str,
        sip_secret: str,
        user_email: Optional[str] = None,
        mobile_number: Optional[str] = None,
        **fields: Any,
    ) -> Employee:
        body = _args(
            number=number,
            user_username=user_username,
            sip_secret=sip_secret,
            user_email=user_email,
            mobile_number=mobile_number,
            **fields,
        )
        return Employee._from_native(await self._call("employees.update", {"id": str(id), "employee": body}))

    async def patch(self, id: Union[str, int], **fields: Any) -> Employee:
        return Employee._from_native(
            await self._call("employees.patch", {"id": str(id), "patch": _args(**fields)})
        )

    async def delete(self, id: Union[str, int]) -> None:
        await self._call("employees.delete", {"id": str(id)})


class AsyncCdrAPI(_Async):
    """``cdr``: call detail records, streamed with ``async for``."""

    def list(
        self,
        *,
        date_from: Optional[DateLike] = None,
        date_to: Optional[DateLike] = None,
        src_num: Optional[str] = None,
        dst_num: Optional[str] = None,
        did: Optional[str] = None,
        disposition: Optional[str] = None,
        linkedid: Optional[str] = None,
        search: Optional[str] = None,
        page_size: Optional[int] = None,
        resume_after: Optional[Union[str, int]] = None,
    ) -> AsyncPageIterator[CdrRecord]:
        args = _args(
            date_from=_date(date_from),
            date_to=_date(date_to),
            src_num=src_num,
            dst_num=dst_num,
            did=did,
            disposition=disposition,
            linkedid=linkedid,
            search=search,
            page_size=page_size,
            resume_after=None if resume_after is None else str(resume_after),
        )
        return self._pager("cdr.list", args, CdrRecord._from_native)

    def list_calls(
        self,
        *,
        date_from: Optional[DateLike] = None,
        date_to: Optional[DateLike] = None,
        src_num: Optional[str] = None,
        dst_num: Optional[str] = None,
        did: Optional[str] = None,
        disposition: Optional[str] = None,
        linkedid: Optional[str] = None,
        search: Optional[str] = None,
        page_size: Optional[int] = None,
        resume_after: Optional[Union[str, int]] = None,
    ) -> AsyncPageIterator[CdrCall]:
        args = _args(
            date_from=_date(date_from),
            date_to=_date(date_to),
            src_num=src_num,
            dst_num=dst_num,
            did=did,
            disposition=disposition,
            linkedid=linkedid,
            search=search,
            page_size=page_size,
            resume_after=None if resume_after is None else str(resume_after),
        )
        return self._pager("cdr.list_calls", args, CdrCall._from_native)


class AsyncPbxStatusAPI(_Async):
    """``pbx-status``: what is happening right now."""

    async def active_calls(self) -> List[ActiveCall]:
        return _list_of(ActiveCall, await self._call("pbx_status.active_calls"))

    async def active_channels(self) -> List[ActiveChannel]:
        return _list_of(ActiveChannel, await self._call("pbx_status.active_channels"))


class AsyncApiKeysAPI(_Async):
    """``api-keys``: create least-privilege keys for integrations."""

    async def generate_key(self) -> str:
        return str(await self._call("api_keys.generate_key"))

    async def create(
        self, *, description: str, key: str, permissions: Permissions, network: Network = "any"
    ) -> ApiKeyInfo:
        body = _key_body(description, key, permissions, network)
        return ApiKeyInfo._from_native(await self._call("api_keys.create", {"api_key": body}))

    def list(self) -> AsyncPageIterator[ApiKeyInfo]:
        return self._pager("api_keys.list", {}, ApiKeyInfo._from_native)

    async def get(self, id: Union[str, int]) -> ApiKeyInfo:
        return ApiKeyInfo._from_native(await self._call("api_keys.get", {"id": str(id)}))

    async def update(
        self,
        id: Union[str, int],
        *,
        description: str,
        key: Optional[str] = None,
        permissions: Permissions,
        network: Network,
    ) -> ApiKeyInfo:
        body = _key_body(description, key, permissions, network)
        return ApiKeyInfo._from_native(await self._call("api_keys.update", {"id": str(id), "api_key": body}))

    async def delete(self, id: Union[str, int]) -> None:
        await self._call("api_keys.delete", {"id": str(id)})


class AsyncClient(_ClientBase):
    """The asyncio client: the same options and operations as :class:`Client`, awaited.

    All clients share one tokio runtime. Cancelling a task cancels its request.
    """

    system: AsyncSystemAPI
    sysinfo: AsyncSysinfoAPI
    extensions: AsyncExtensionsAPI
    employees: AsyncEmployeesAPI
    cdr: AsyncCdrAPI
    pbx_status: AsyncPbxStatusAPI
    api_keys: AsyncApiKeysAPI

    def __init__(
        self,
        url: str,
        *,
        api_key: Optional[str] = None,
        ca_cert: Optional[CaCert] = None,
        cert_sha256: Optional[str] = None,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        permissions: Optional[Permissions] = None,
        key_network: Optional[Network] = None,
        local_address: Optional[str] = None,
        rate_limit: Optional[RateLimit] = None,
        user_agent: Optional[str] = None,
    ) -> None:
        opts = _options(
            api_key=api_key,
            ca_cert=ca_cert,
            cert_sha256=cert_sha256,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            permissions=permissions,
            key_network=key_network,
            local_address=local_address,
            rate_limit=rate_limit,
            user_agent=user_agent,
        )
        try:
            self._init(_native.NativeClient(url, opts))
        finally:
            _logging.flush()
        self._attach_resources()

    def _attach_resources(self) -> None:
        self.system = AsyncSystemAPI(self)
        self.sysinfo = AsyncSysinfoAPI(self)
        self.extensions = AsyncExtensionsAPI(self)
        self.employees = AsyncEmployeesAPI(self)
        self.cdr = AsyncCdrAPI(self)
        self.pbx_status = AsyncPbxStatusAPI(self)
        self.api_keys = AsyncApiKeysAPI(self)

    @classmethod
    def from_env(
        cls,
        *,
        timeout: Optional[float] = None,
        connect_timeout: Optional[float] = None,
        max_retries: Optional[int] = None,
        permissions: Optional[Permissions] = None,
        key_network: Optional[Network] = None,
        local_address: Optional[str] = None,
        rate_limit: Optional[RateLimit] = None,
        user_agent: Optional[str] = None,
    ) -> AsyncClient:
        """Like :meth:`Client.from_env`."""
        opts = _options(
            api_key=None,
            ca_cert=None,
            cert_sha256=None,
            timeout=timeout,
            connect_timeout=connect_timeout,
            max_retries=max_retries,
            permissions=permissions,
            key_network=key_network,
            local_address=local_address,
            rate_limit=rate_limit,
            user_agent=user_agent,
        )
        self = cls.__new__(cls)
        try:
            self._init(_native.NativeClient.from_env(opts))
        finally:
            _logging.flush()
        self._attach_resources()
        return self

    async def aclose(self) -> None:
        self.close()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc: Optional[BaseException],
        tb: Optional[TracebackType],
    ) -> None:
        self.close()

"""MikoPBX REST API v3 client: Bearer API keys, mandatory certificate verification,
permission-aware errors.

>>> import mikopbx
>>> with mikopbx.Client("https://pbx.example.com", api_key="…", ca_cert="ca.pem") as pbx:
...     for ext in pbx.extensions.list(search="20"):
...         print(ext.number, ext.callerid)

``Client`` blocks (and releases the GIL while it waits); ``AsyncClient`` is the asyncio twin. Every
error derives from :class:`MikoPBXError`. Log records go to the ``logging`` logger ``"mikopbx"``.
"""

from __future__ import annotations

from typing import Dict, Iterable, List, Union

from . import _bridge, _native  # noqa: F401  (_bridge registers the exit hook)
from ._client import (
    AsyncClient,
    AsyncPageIterator,
    Client,
    Network,
    PageIterator,
    Permissions,
    RateLimit,
)
from ._errors import (
    APIConnectionError,
    APITimeoutError,
    AuthenticationError,
    ConfigurationError,
    ConflictError,
    DecodeError,
    FirewallBlockedError,
    InsecureTransportError,
    MikoPBXError,
    NetworkRestrictedError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ServiceBusyError,
    TLSError,
    ValidationError,
    exception_class_for_kind,
)
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
)

__version__: str = _native.__version__

__all__ = [
    "__version__",
    "Client",
    "AsyncClient",
    "PageIterator",
    "AsyncPageIterator",
    "Permissions",
    "Network",
    "RateLimit",
    "minimal_permissions",
    "operations",
    "Extension",
    "ExtensionOption",
    "Employee",
    "CdrRecord",
    "CdrCall",
    "ActiveCall",
    "ActiveChannel",
    "ApiKeyInfo",
    "SysInfo",
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


def minimal_permissions(operations: Iterable[str]) -> Dict[str, str]:
    """The ``allowed_paths`` an API key needs for these SDK operations, computed by the core from
    its operations table: ``{"/api/v3/extensions": "read", ...}``. Pass the result as
    ``permissions=`` to ``api_keys.create``, or enter it in System → API Keys.

    >>> mikopbx.minimal_permissions(["extensions.list", "cdr.list"])  # doctest: +SKIP
    {'/api/v3/cdr': 'read', '/api/v3/extensions': 'read'}
    """
    return _native.minimal_permissions(list(operations))


def operations() -> List[Dict[str, Union[str, bool]]]:
    """The core's operations table: name, method, path, resource, access, idempotent."""
    return _native.operations()


# Show public classes as `mikopbx.X` (tracebacks, repr, pickling), not as private modules.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type):
        _obj.__module__ = __name__
del _name, _obj

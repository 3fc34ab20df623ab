"""MikoPBX REST API v3 client: Bearer API keys, mandatory certificate verification,
permission-aware errors.

>>> import mikopbx
>>> with mikopbx.Client("https://pbx.example.com", api_key="…", ca_cert="ca.pem") as pbx:
...     for ext in pbx.extensions.list(search="20"):
...         print(ext.number, ext.callerid)

``Client`` blocks (and releases the GIL while it waits); ``AsyncClient`` is the asyncio twin. Both
have one handle per resource (``pbx.employees``, ``pbx.cdr``, ...) with one method per operation
of the core, named as in Rust; lists are lazy ``Pager``/``AsyncPager`` iterators. Records
(``Employee``, ``CdrRecord``, ...) are the core's own classes. Every error derives from
:class:`MikoPBXError`. Log records go to the ``logging`` logger ``"mikopbx"``.
"""

from __future__ import annotations

from . import _api, _bridge, _errors, _native  # noqa: F401  (_bridge registers the exit hook)
from ._api import *  # noqa: F403  (the record classes and pagers)
from ._calls import AsyncCallsApi, CallsApi, CallWatch
from ._provisioning import CreatedApiKey
from ._client import ApiResponse, AsyncClient, Client, ClientOptions, Permissions, RateLimit, Session
from ._native import CallEvent, CallEventType
from ._recordings import AsyncRecording, Recording, RecordingFormat, RecordingInfo
from ._errors import *  # noqa: F403  (the exception tree)
from ._operations import Operation, Parameter, Returns, minimal_permissions, operations

__version__: str = _native.__version__

__all__ = [
    "__version__",
    "Client",
    "AsyncClient",
    "ClientOptions",
    "Permissions",
    "RateLimit",
    "ApiResponse",
    "Session",
    "AsyncCallsApi",
    "CallsApi",
    "CreatedApiKey",
    "CallWatch",
    "CallEvent",
    "CallEventType",
    "Recording",
    "AsyncRecording",
    "RecordingFormat",
    "RecordingInfo",
    "minimal_permissions",
    "operations",
    "Operation",
    "Parameter",
    "Returns",
]
__all__ += _api.__all__
__all__ += _errors.__all__

# Show public classes as `mikopbx.X` (tracebacks, repr, pickling), not as private modules. The
# core's record classes are native and keep `mikopbx._native`.
for _name in __all__:
    _obj = globals()[_name]
    if isinstance(_obj, type) and _obj.__module__.startswith("mikopbx._") and _obj.__module__ != "mikopbx._native":
        _obj.__module__ = __name__
del _name, _obj

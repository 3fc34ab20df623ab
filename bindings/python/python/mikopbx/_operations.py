"""The core's operations table and least-privilege helper, as the compiled core describes them."""

from __future__ import annotations

import functools
import json
from typing import Any, Dict, Iterable, List, Optional, TypedDict, cast

from . import _native
from ._api import Access

__all__ = ["Operation", "Parameter", "Returns", "operations", "minimal_permissions"]


#: One argument of an operation, by its Rust name (a query struct's fields one by one). ``in`` is
#: ``"path"`` (the ``{id}``), ``"query"``, ``"client"`` (paging, never sent) or ``"body"``; Python
#: methods take a body struct's fields as keyword arguments.
Parameter = TypedDict(
    "Parameter",
    {"name": str, "in": str, "wire": Optional[str], "type": str, "required": bool, "doc": str},
)


class Returns(TypedDict):
    """What an operation returns."""

    #: ``"one"``, ``"list"``, ``"nothing"`` or ``"pager"`` (a lazy ``Pager``/``AsyncPager``).
    form: str
    type: str
    cursor: Optional[str]


class Operation(TypedDict):
    """One operation, as ``mikopbx operations --json`` prints it."""

    name: str
    wire: str
    method: str
    path: str
    resource: str
    access: str
    idempotent: bool
    public: bool
    parameters: List[Parameter]
    returns: Returns
    shape: str
    handle: str
    method_name: str
    summary: str
    doc: str


@functools.lru_cache(maxsize=None)
def _manifest() -> str:
    return _native.manifest()


def manifest() -> Dict[str, Any]:
    """The core's whole manifest: ``operations`` and the ``models`` they take and return (the
    input of ``generate.py``, as the compiled core sees it)."""
    return cast(Dict[str, Any], json.loads(_manifest()))


def operations() -> List[Operation]:
    """The core's operations table: ``name`` (``"employees.create"``), ``handle`` and
    ``method_name`` (``client.employees.create``), ``parameters``, ``returns``, HTTP ``method``,
    ``path``, ``resource``, ``access``, ``idempotent``, ``public``, ``summary`` and ``doc``."""
    return cast(List[Operation], json.loads(_manifest())["operations"])


def minimal_permissions(operations: Iterable[str]) -> Dict[str, Access]:
    """The ``allowed_paths`` an API key needs for these SDK operations, computed by the core from
    its operations table: ``{"/api/v3/extensions": "read", ...}``. Pass the result as
    ``allowed_paths=`` to ``api_keys.create``, or enter it in System → API Keys.

    >>> mikopbx.minimal_permissions(["extensions.list", "cdr.list"])  # doctest: +SKIP
    {'/api/v3/cdr': 'read', '/api/v3/extensions': 'read'}
    """
    return _native.minimal_permissions(list(operations))

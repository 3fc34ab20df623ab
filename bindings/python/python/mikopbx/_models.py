"""Records returned by the SDK: frozen dataclasses with attribute access.

The core decodes the PBX's JSON (with all its quirks) into typed Rust records; the native layer
hands them over as plain dictionaries and these classes give them names and types. Every record
keeps the full decoded dictionary in ``raw`` for fields this version does not name yet.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, Dict, List, Mapping, Optional, Type, TypeVar

__all__ = [
    "Extension",
    "ExtensionOption",
    "Employee",
    "CdrRecord",
    "CdrCall",
    "ActiveCall",
    "ActiveChannel",
    "ApiKeyInfo",
    "SysInfo",
]

_R = TypeVar("_R", bound="_Record")


@dataclass(frozen=True)
class _Record:
    raw: Dict[str, Any] = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def _from_native(cls: Type[_R], data: Mapping[str, Any]) -> _R:
        known = {f.name for f in dataclasses.fields(cls) if f.name != "raw"}
        values = {name: data[name] for name in known if name in data}
        return cls(raw=dict(data), **values)


@dataclass(frozen=True)
class Extension(_Record):
    """An extension (internal number): SIP phone, queue, IVR, conference, ..."""

    number: str = ""
    #: ``SIP``, ``IAX``, ``QUEUE``, ``IVR``, ``CONFERENCE``, ``EXTERNAL``, ...
    type: str = ""
    #: The caller id (the person's name, for SIP extensions).
    callerid: str = ""
    userid: Optional[str] = None
    show_in_phonebook: bool = False


@dataclass(frozen=True)
class ExtensionOption(_Record):
    """One entry of ``extensions.get_for_select``: a number and how the PBX labels it."""

    value: str = ""
    #: The label (may contain HTML from the PBX).
    name: str = ""
    type: str = ""


@dataclass(frozen=True)
class Employee(_Record):
    """An employee (user) with their SIP extension."""

    id: str = ""
    number: str = ""
    user_username: str = ""
    user_email: Optional[str] = None
    mobile_number: Optional[str] = None
    mobile_dialstring: Optional[str] = None
    sip_transport: Optional[str] = None
    sip_enable_recording: bool = False


@dataclass(frozen=True)
class CdrRecord(_Record):
    """One call detail record. ``id`` orders records; it is what ``checkpoint`` remembers."""

    id: int = 0
    start: str = ""
    answer: str = ""
    endtime: str = ""
    src_num: str = ""
    dst_num: str = ""
    did: str = ""
    #: ``ANSWERED``, ``NO ANSWER``, ``BUSY``, ``FAILED``, ...
    disposition: str = ""
    #: Seconds from start to end.
    duration: int = 0
    #: Seconds from answer to end.
    billsec: int = 0
    linkedid: str = ""
    recordingfile: str = ""
    src_chan: str = ""
    dst_chan: str = ""


@dataclass(frozen=True)
class CdrCall(_Record):
    """One call: every leg (``records``) sharing a ``linkedid``, from ``cdr.list_calls``."""

    linkedid: str = ""
    start: str = ""
    src_num: str = ""
    src_name: str = ""
    dst_num: str = ""
    dst_name: str = ""
    did: str = ""
    #: ``ANSWERED`` when any leg was answered.
    disposition: str = ""
    total_duration: int = 0
    total_billsec: int = 0
    records: List[CdrRecord] = field(default_factory=list)

    @classmethod
    def _from_native(cls, data: Mapping[str, Any]) -> CdrCall:
        call = super()._from_native(data)
        legs = [CdrRecord._from_native(leg) for leg in data.get("records", [])]
        object.__setattr__(call, "records", legs)
        return call


@dataclass(frozen=True)
class ActiveCall(_Record):
    """A call in progress (from ``pbx_status.active_calls``)."""

    start: str = ""
    answer: str = ""
    src_num: str = ""
    src_name: str = ""
    dst_num: str = ""
    dst_name: str = ""
    did: str = ""
    linkedid: str = ""


@dataclass(frozen=True)
class ActiveChannel(_Record):
    """An active channel (from ``pbx_status.active_channels``)."""

    start: str = ""
    answer: str = ""
    src_num: str = ""
    src_chan: str = ""
    dst_num: str = ""
    dst_chan: str = ""
    linkedid: str = ""


@dataclass(frozen=True)
class ApiKeyInfo(_Record):
    """An API key as the PBX lists it. The key itself is never returned, only ``key_display``
    (its first and last five characters)."""

    id: str = ""
    description: str = ""
    key_display: str = ""
    full_permissions: bool = False
    #: ``{"/api/v3/extensions": "read", ...}`` (empty for a full-permission key).
    allowed_paths: Dict[str, str] = field(default_factory=dict)
    #: ``"none"`` (any address), ``"localhost"`` or a network filter id.
    networkfilterid: str = ""
    created_at: str = ""
    last_used_at: Optional[str] = None


@dataclass(frozen=True)
class SysInfo(_Record):
    """System information (``sysinfo.get_info``): common fields, and the whole answer in
    ``info``."""

    version: str = ""
    hostname: str = ""
    uptime: str = ""
    info: Dict[str, Any] = field(default_factory=dict)


def _list_of(cls: Type[_R], items: List[Mapping[str, Any]]) -> List[_R]:
    return [cls._from_native(item) for item in items]

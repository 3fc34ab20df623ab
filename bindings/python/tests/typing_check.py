"""Type-checked (mypy --strict) use of the whole public API; test_typing.py also runs it."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Dict, List, Optional

import mikopbx


def use_sync(url: str, key: str, ca: str) -> List[str]:
    seen: List[str] = []
    with mikopbx.Client(url, api_key=key, ca_cert=ca, timeout=30.0, max_retries=2) as c:
        ok: bool = c.system.ping() and c.system.check_auth()
        info: mikopbx.SysInfo = c.sysinfo.get_info()
        seen.append(f"{ok} {bool(info.raw)}")
        it: mikopbx.PageIterator[mikopbx.Extension] = c.extensions.list(search="20", page_size=5)
        for ext in it:
            number: str = ext.number
            callerid: Optional[str] = ext.callerid
            seen.append(f"{number} {ext.type} {callerid}")
        one: mikopbx.Extension = c.extensions.get("201")
        options: List[mikopbx.ExtensionOption] = c.extensions.get_for_select()
        free: bool = c.extensions.available("299")
        seen.append(f"{one.number} {len(options)} {free}")
        employees: List[mikopbx.Employee] = list(c.employees.list(page_size=10))
        emp: mikopbx.Employee = c.employees.get(employees[0].id)
        seen.append(emp.user_username)
        created = c.employees.create(number="7777", user_username="Typed", sip_secret="Typed-Secret-1")
        c.employees.update(created.id, number="7777", user_username="Typed 2", sip_secret="Typed-Secret-2")
        c.employees.patch(created.id, user_email="typed@example.com")
        c.employees.delete(created.id)
        records = c.cdr.list(date_from=dt.date.today(), date_to=dt.date.today(), page_size=10)
        for page in records.pages():
            for rec in page:
                duration: int = rec.duration
                seen.append(f"{rec.id} {duration}")
            break
        checkpoint: Optional[str] = records.checkpoint
        for call in c.cdr.list_calls(date_from=dt.date.today(), page_size=5):
            legs: List[mikopbx.CdrRecord] = call.records
            seen.append(f"{call.linkedid} {call.total_billsec} {len(legs)}")
            break
        seen.append(str(checkpoint))
        calls: List[mikopbx.ActiveCall] = c.pbx_status.active_calls()
        channels: List[mikopbx.ActiveChannel] = c.pbx_status.active_channels()
        seen.append(f"{len(calls)} {len(channels)}")
        new_key: str = c.api_keys.generate_key()
        perms: Dict[str, str] = mikopbx.minimal_permissions(["extensions.list", "cdr.list"])
        created_key: mikopbx.ApiKeyInfo = c.api_keys.create(
            description="typed", key=new_key, permissions=perms, network="localhost"
        )
        keys: List[mikopbx.ApiKeyInfo] = list(c.api_keys.list())
        c.api_keys.update(created_key.id, description="typed 2", permissions="full", network="localhost")
        seen.append(c.api_keys.get(created_key.id).description + str(len(keys)))
        c.api_keys.delete(created_key.id)
    try:
        mikopbx.Client(url, api_key=key, cert_sha256="00" * 32, permissions="full").system.check_auth()
    except mikopbx.TLSError as exc:
        kind: str = exc.kind
        status: Optional[int] = exc.status
        operation: Optional[str] = exc.operation
        seen.append(f"{kind} {status} {operation}")
    except mikopbx.PermissionDeniedError as exc:
        seen.append(f"{exc.resource} {exc.required}")
    except mikopbx.ValidationError as exc:
        seen.extend(exc.messages)
    except mikopbx.RateLimitError as exc:
        after: Optional[float] = exc.retry_after
        seen.append(str(after))
    except mikopbx.MikoPBXError as exc:
        seen.append(exc.message)
    return seen


async def use_async(url: str, key: str, ca: str) -> List[str]:
    seen: List[str] = []
    async with mikopbx.AsyncClient(url, api_key=key, ca_cert=ca) as c:
        seen.append(str(await c.system.ping()))
        async for ext in c.extensions.list(type="SIP"):
            seen.append(ext.number)
        employees: List[mikopbx.Employee] = await c.employees.list().to_list()
        seen.append(str(len(employees)))
        async for page in c.cdr.list(date_from="2026-11-01").pages():
            seen.append(str(len(page)))
            break
        calls = await c.pbx_status.active_calls()
        seen.append(str(len(calls)))
        seen.append((await c.extensions.get("201")).number)
    return seen


def run(url: str, key: str, ca: str) -> List[str]:
    return use_sync(url, key, ca) + asyncio.run(use_async(url, key, ca))

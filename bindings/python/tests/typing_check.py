"""Type-checked (mypy --strict) use of the whole public API; test_typing.py also runs it."""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Dict, List, Optional

import mikopbx


def use_sync(url: str, key: str, ca: str) -> List[str]:
    seen: List[str] = []
    options: mikopbx.ClientOptions = {"api_key": key, "ca_cert": ca, "max_retries": 2, "timeout": 30.0}
    with mikopbx.Client(url, **options) as c:
        c.system.ping()
        c.system.check_auth()
        info: mikopbx.SysInfo = c.sysinfo.get_info()
        seen.append(f"{info.version} {bool(info.raw_json)}")
        it: mikopbx.Pager[mikopbx.Extension] = c.extensions.list(search="20", page_size=5)
        for ext in it:
            number: str = ext.number
            userid: Optional[str] = ext.userid
            extra: Dict[str, str] = ext.extra
            seen.append(f"{number} {ext.type} {ext.callerid} {userid} {len(extra)}")
        one: mikopbx.Extension = c.extensions.get("201")
        options_list: List[mikopbx.ExtensionOption] = c.extensions.get_for_select(type="SIP")
        free: bool = c.extensions.available("299")
        seen.append(f"{one.number} {len(options_list)} {free}")
        employees: List[mikopbx.Employee] = list(c.employees.list(page_size=10, order_by="number"))
        emp: mikopbx.Employee = c.employees.get(employees[0].id)
        seen.append(emp.user_username)
        created = c.employees.create(number="7777", user_username="Typed", sip_secret="Typed-Secret-1")
        c.employees.update(created.id, number="7777", user_username="Typed 2", sip_secret="Typed-Secret-2")
        c.employees.patch(created.id, user_email="typed@example.com", sip_enable_recording=True)
        c.employees.delete(created.id)
        today = dt.date.today().isoformat()
        records = c.cdr.list(date_from=today, date_to=today, page_size=10)
        for page in records.pages():
            for rec in page:
                duration: int = rec.duration
                seen.append(f"{rec.id} {duration}")
            break
        checkpoint: Optional[int] = records.checkpoint
        for call in c.cdr.list_calls(date_from=today, page_size=5, resume_after=checkpoint):
            legs: List[mikopbx.CdrRecord] = call.records
            seen.append(f"{call.linkedid} {call.total_billsec} {len(legs)}")
            break
        seen.append(str(checkpoint))
        calls: List[mikopbx.ActiveCall] = c.pbx_status.active_calls()
        channels: List[mikopbx.ActiveChannel] = c.pbx_status.active_channels()
        seen.append(f"{len(calls)} {len(channels)}")
        new_key: str = c.api_keys.generate_key()
        perms: Dict[str, mikopbx.Access] = mikopbx.minimal_permissions(["extensions.list", "cdr.list"])
        network: mikopbx.NetworkFilter = "localhost"
        created_key: mikopbx.ApiKeyInfo = c.api_keys.create(
            description="typed", key=new_key, full_permissions=False, allowed_paths=perms, network=network
        )
        keys: List[mikopbx.ApiKeyInfo] = list(c.api_keys.list())
        c.api_keys.update(
            created_key.id, description="typed 2", key=new_key, full_permissions=True, allowed_paths={}, network="localhost"
        )
        seen.append(c.api_keys.get(created_key.id).description + str(len(keys)) + str(len(perms)))
        c.api_keys.delete(created_key.id)
    ops: List[mikopbx.Operation] = mikopbx.operations()
    seen.append(ops[0]["handle"] + "." + ops[0]["method_name"])
    try:
        mikopbx.Client(url, api_key=key, cert_sha256="00" * 32, permissions="full").system.check_auth()
    except mikopbx.TLSError as exc:
        tls_kind: Optional[str] = exc.tls_kind
        status: Optional[int] = exc.status
        operation: Optional[str] = exc.operation
        seen.append(f"{tls_kind} {status} {operation}")
    except mikopbx.PermissionDeniedError as exc:
        seen.append(f"{exc.resource} {exc.required}")
    except mikopbx.ValidationError as exc:
        seen.extend(exc.messages)
    except mikopbx.RateLimitError as exc:
        after: Optional[float] = exc.retry_after
        seen.append(str(after))
    except mikopbx.MikoPBXError as exc:
        seen.append(exc.kind + exc.message)
    return seen


async def use_async(url: str, key: str, ca: str) -> List[str]:
    seen: List[str] = []
    async with mikopbx.AsyncClient(url, api_key=key, ca_cert=ca) as c:
        await c.system.ping()
        pager: mikopbx.AsyncPager[mikopbx.Extension] = c.extensions.list(type="SIP")
        async for ext in pager:
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

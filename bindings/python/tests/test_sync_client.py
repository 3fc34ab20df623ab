"""Every operation of the blocking client against the simulator, over real TLS."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import uuid

import pytest

import mikopbx
from simulator import Simulator


def unique_number(client: mikopbx.Client) -> str:
    for candidate in range(7000, 7999):
        if client.extensions.available(str(candidate)):
            return str(candidate)
    raise AssertionError("no free extension number in 7000-7998")


def test_repr_never_shows_the_key(client: mikopbx.Client, sim: Simulator) -> None:
    assert sim.admin_key not in repr(client)
    assert sim.url in repr(client)
    assert client.url.rstrip("/") == sim.url


def test_system(client: mikopbx.Client) -> None:
    client.system.ping()  # returns nothing; raises when the PBX does not answer
    client.system.check_auth()  # raises when the key is refused


def test_dangerous_actions_need_the_client_option(client: mikopbx.Client, sim: Simulator) -> None:
    def recorded() -> "list[str]":
        state = json.loads((sim.state_dir / "state.json").read_text())
        return list(state.get("system_actions", []))

    before = recorded()
    with pytest.raises(mikopbx.ConfigurationError) as info:
        client.system.reboot()
    assert "allow_dangerous_actions" in str(info.value)
    assert "system.reboot" in str(info.value)
    assert recorded() == before, "a refused action sends nothing"
    with mikopbx.Client(
        sim.url, api_key=sim.admin_key, ca_cert=sim.ca_path, allow_dangerous_actions=True
    ) as admin:
        admin.system.shutdown()
    assert recorded() == before + ["shutdown"]


def test_languages(client: mikopbx.Client) -> None:
    codes = [language.code for language in client.system.get_available_languages()]
    assert codes[0] == "en" and "de" in codes
    changed = client.system.change_language(language="de")
    assert changed.language == "de"
    assert "germany" in changed.represent


def test_sysinfo(client: mikopbx.Client) -> None:
    info = client.sysinfo.get_info()
    assert isinstance(info, mikopbx.SysInfo)
    assert json.loads(info.raw_json)


def test_extensions_list_iterates_lazily_across_pages(client: mikopbx.Client) -> None:
    small_pages = list(client.extensions.list(page_size=7))
    one_page = list(client.extensions.list(page_size=500))
    assert len(small_pages) >= 50
    assert [e.number for e in small_pages] == [e.number for e in one_page]
    assert len({e.number for e in small_pages}) == len(small_pages)
    first = small_pages[0]
    assert isinstance(first, mikopbx.Extension)
    assert first.number and first.type and first.type == first.type_


def test_records_are_the_cores_frozen_classes(client: mikopbx.Client) -> None:
    ext = client.extensions.get("201")
    assert type(ext).__module__ == "mikopbx._native"
    assert ext == client.extensions.get("201")
    assert isinstance(ext.extra, dict)  # fields a newer PBX adds are kept, as JSON text
    with pytest.raises(AttributeError):
        ext.number = "202"  # type: ignore[misc]


def test_max_items_caps_a_list(client: mikopbx.Client) -> None:
    capped = client.extensions.list(page_size=4, max_items=6)
    assert len(list(capped)) == 6
    assert list(capped) == []  # exhausted


def test_extensions_list_pages_and_partial_iteration(client: mikopbx.Client) -> None:
    it = client.extensions.list(page_size=5)
    head = list(itertools.islice(it, 3))
    pages = list(it.pages())
    assert len(head) == 3
    assert len(pages[0]) == 2  # the rest of the first page
    assert all(len(p) <= 5 for p in pages)


def test_extensions_search_get_select_available(client: mikopbx.Client) -> None:
    exts = list(client.extensions.list())
    sip = next(e for e in exts if e.type == "SIP")
    found = list(client.extensions.list(search=sip.number))
    assert sip.number in [e.number for e in found]
    assert all(e.type == "SIP" for e in client.extensions.list(type="SIP"))
    got = client.extensions.get(sip.number)
    assert got.number == sip.number
    assert got.callerid == sip.callerid
    options = client.extensions.get_for_select()
    assert options and all(isinstance(o, mikopbx.ExtensionOption) for o in options)
    assert client.extensions.available(sip.number) is False
    assert client.extensions.available(unique_number(client)) is True


def test_employees_crud(client: mikopbx.Client) -> None:
    listing = client.employees.list(page_size=20)
    assert listing.total is None  # nothing fetched yet
    employees = list(listing)
    assert len(employees) >= 50
    assert listing.total == len(employees)  # employees report recordsTotal
    assert all(isinstance(e, mikopbx.Employee) for e in employees)
    got = client.employees.get(employees[0].id)
    assert got.id == employees[0].id and got.number == employees[0].number

    number = unique_number(client)
    name = f"Py Test {uuid.uuid4().hex[:6]}"
    secret = "S3cret-" + uuid.uuid4().hex[:10]
    created = client.employees.create(number=number, user_username=name, sip_secret=secret)
    try:
        assert created.number == number and created.user_username == name
        # The record carries the SIP password; only the attribute reveals it.
        assert created.sip_secret == secret
        assert secret not in repr(created) and secret not in str(created.extra)
        assert client.extensions.get(number).number == number
        assert [e.id for e in client.employees.list(search=name)] == [created.id]

        updated = client.employees.update(
            created.id,
            number=number,
            user_username=name + " Updated",
            sip_secret="S3cret-" + uuid.uuid4().hex[:10],
            user_email="py@example.com",
        )
        assert updated.user_username == name + " Updated"
        patched = client.employees.patch(created.id, user_email="patched@example.com")
        assert patched.user_email == "patched@example.com"
        assert client.employees.get(created.id).user_email == "patched@example.com"
    finally:
        client.employees.delete(created.id)
    with pytest.raises(mikopbx.NotFoundError):
        client.employees.get(created.id)
    assert client.extensions.available(number) is True


def test_employee_defaults_make_a_new_employee(client: mikopbx.Client) -> None:
    defaults = client.employees.get_default()
    assert defaults.id == "" and len(defaults.sip_secret) == 20
    assert defaults.sip_secret not in repr(defaults)
    assert client.extensions.available(defaults.number)


def test_cdr_list_filters_and_checkpoint(client: mikopbx.Client) -> None:
    today = dt.date.today()
    month_ago = (today - dt.timedelta(days=30)).isoformat()
    it = client.cdr.list(date_from=month_ago, date_to=today.isoformat(), page_size=50)
    records = list(itertools.islice(it, 120))
    assert len(records) == 120
    assert all(isinstance(r, mikopbx.CdrRecord) for r in records)
    assert len({r.id for r in records}) == 120
    assert it.checkpoint is not None

    # Resume: what follows the checkpoint is new.
    resumed = list(
        itertools.islice(
            client.cdr.list(date_from=month_ago, date_to=today.isoformat(), resume_after=it.checkpoint),
            10,
        )
    )
    assert resumed and not ({r.id for r in resumed} & {r.id for r in records[:100]})

    src = records[0].src_num
    assert src
    by_src = list(itertools.islice(client.cdr.list(src_num=src, date_from=month_ago), 20))
    assert by_src and all(src in r.src_num for r in by_src)  # the PBX matches substrings


def test_cdr_range_over_a_year_is_refused(client: mikopbx.Client) -> None:
    with pytest.raises(mikopbx.MikoPBXError) as info:
        list(client.cdr.list(date_from="2020-01-01", date_to="2026-01-01"))
    assert info.value.operation == "cdr.list"


def test_pbx_status(client: mikopbx.Client) -> None:
    calls = client.pbx_status.active_calls()
    channels = client.pbx_status.active_channels()
    assert isinstance(calls, list) and isinstance(channels, list)
    assert all(isinstance(c, mikopbx.ActiveCall) for c in calls)
    assert all(isinstance(c, mikopbx.ActiveChannel) for c in channels)


def test_api_keys_lifecycle(client: mikopbx.Client, sim: Simulator) -> None:
    key = client.api_keys.generate_key()
    assert len(key) == 64 and all(c in "0123456789abcdef" for c in key)
    info = client.api_keys.create(
        description="py-crm", key=key, full_permissions=False, allowed_paths={"extensions": "read", "cdr": "read"}, network="localhost"
    )
    try:
        assert isinstance(info, mikopbx.ApiKeyInfo)
        assert info.description == "py-crm"
        assert key not in repr(info)
        assert info.key_display and info.key_display.startswith(key[:5])
        assert info.id in [k.id for k in client.api_keys.list()]
        assert client.api_keys.get(info.id).description == "py-crm"

        with mikopbx.Client(sim.url, api_key=key, ca_cert=sim.ca_path) as crm:
            assert list(itertools.islice(crm.extensions.list(), 3))
            with pytest.raises((mikopbx.PermissionDeniedError, mikopbx.AuthenticationError)):
                crm.employees.get("1")

        updated = client.api_keys.update(
            info.id, description="py-crm-2", key=key, full_permissions=True, allowed_paths={}, network="localhost"
        )
        assert updated.description == "py-crm-2"
        assert client.api_keys.get(info.id).full_permissions is True

        # MikoPBX cannot lift a network filter over REST ("none" becomes NULL, and its update
        # keeps the old value when the new one is NULL): the SDK says so instead of pretending.
        with pytest.raises(mikopbx.ServerError) as lifted:
            client.api_keys.update(
                info.id, description="py-crm-3", key=key, full_permissions=True, allowed_paths={}, network="any"
            )
        assert "network" in str(lifted.value)
        assert client.api_keys.get(info.id).networkfilterid == "localhost"
    finally:
        client.api_keys.delete(info.id)
    with mikopbx.Client(sim.url, api_key=key, ca_cert=sim.ca_path) as revoked:
        with pytest.raises(mikopbx.AuthenticationError):
            revoked.system.check_auth()


def test_minimal_permissions() -> None:
    perms = mikopbx.minimal_permissions(["extensions.list", "cdr.list", "employees.create"])
    assert perms == {
        "/api/v3/cdr": "read",
        "/api/v3/employees": "write",
        "/api/v3/extensions": "read",
    }
    with pytest.raises(mikopbx.ConfigurationError):
        mikopbx.minimal_permissions(["no.such_operation"])
    assert mikopbx.minimal_permissions(["cdr.list_calls"]) == {"/api/v3/cdr": "read"}
    names = {op["name"] for op in mikopbx.operations()}
    assert {"extensions.list", "employees.create", "api_keys.create", "system.check_auth"} <= names


def test_client_as_context_manager_closes(sim: Simulator) -> None:
    with mikopbx.Client(sim.url, api_key=sim.admin_key, ca_cert=sim.ca_pem) as c:
        c.system.ping()
    with pytest.raises(mikopbx.ConfigurationError):
        c.system.ping()


def test_from_env(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MIKOPBX_URL", sim.url)
    monkeypatch.setenv("MIKOPBX_API_KEY", sim.admin_key)
    monkeypatch.setenv("MIKOPBX_CA_CERT", str(sim.ca_path))
    monkeypatch.delenv("MIKOPBX_CERT_SHA256", raising=False)
    with mikopbx.Client.from_env(timeout=10) as c:
        assert isinstance(c, mikopbx.Client)
        c.system.check_auth()


def test_cdr_streaming_keeps_memory_flat(client: mikopbx.Client) -> None:
    import tracemalloc

    today = dt.date.today()
    records = client.cdr.list(
        date_from=(today - dt.timedelta(days=364)).isoformat(), date_to=today.isoformat(), page_size=1000
    )
    tracemalloc.start()
    try:
        count = 0
        last_id = -1
        for rec in itertools.islice(records, 10_000):
            assert rec.id > last_id  # id order: what makes the checkpoint resumable
            last_id = rec.id
            count += 1
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 10_000
    assert records.checkpoint is not None and records.checkpoint >= last_id
    # One page at a time: 10 000 records kept at once would take well over 10 MB.
    assert peak < 10 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"


def test_cdr_list_calls_groups_legs_by_linkedid(client: mikopbx.Client) -> None:
    today = dt.date.today()
    week_ago, today_text = (today - dt.timedelta(days=7)).isoformat(), today.isoformat()
    calls = client.cdr.list_calls(date_from=week_ago, date_to=today_text, page_size=20)
    first = list(itertools.islice(calls, 45))
    assert len(first) == 45
    assert len({c.linkedid for c in first}) == 45
    for call in first:
        assert isinstance(call, mikopbx.CdrCall)
        assert call.records and all(isinstance(leg, mikopbx.CdrRecord) for leg in call.records)
        assert all(leg.linkedid == call.linkedid for leg in call.records)
    assert calls.checkpoint is not None
    later = list(
        itertools.islice(
            client.cdr.list_calls(date_from=week_ago, date_to=today_text, resume_after=calls.checkpoint),
            5,
        )
    )
    assert not {c.linkedid for c in later} & {c.linkedid for c in first[:20]}

"""The shared cross-language scenarios in tests/scenarios/*.json (format: tests/README.md), run
through the public Python API against the simulator."""

from __future__ import annotations

import datetime as dt
import itertools
import json
import re
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

import mikopbx
from simulator import REPO, Simulator

SCENARIO_DIR = REPO / "tests" / "scenarios"


def load() -> List[Tuple[str, Dict[str, Any]]]:
    out = []
    for path in sorted(SCENARIO_DIR.glob("*.json")):
        for scenario in json.loads(path.read_text()):
            out.append((f"{path.stem}: {scenario['name']}", scenario))
    return out


SCENARIOS = load()


def resolve_date(value: str) -> str:
    today = dt.date.today()
    if value == "today":
        return today.isoformat()
    match = re.fullmatch(r"-(\d+) days?", value)
    if match:
        return (today - dt.timedelta(days=int(match.group(1)))).isoformat()
    return value


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def field_of(item: Any, name: str) -> Any:
    raw = getattr(item, "raw", None)
    if hasattr(item, name):
        return getattr(item, name)
    if isinstance(raw, dict):
        return raw.get(name)
    return None


def strings_of(item: Any) -> Iterator[str]:
    raw = getattr(item, "raw", None) or {}
    for value in raw.values():
        if isinstance(value, str):
            yield value


class Runner:
    def __init__(self, sim: Simulator, admin: mikopbx.Client) -> None:
        self.sim = sim
        self.admin = admin
        self.cleanup_keys: List[str] = []
        self.cleanup_employees: List[str] = []

    def key_for(self, spec: Any) -> Tuple[str, Optional[mikopbx.Permissions], Optional[str]]:
        if spec == "admin":
            return self.sim.admin_key, "full", None
        if spec == "bogus":
            return "5e" * 32, None, None
        key = self.admin.api_keys.generate_key()
        permissions = spec["permissions"]
        network = spec.get("network", "any")
        info = self.admin.api_keys.create(
            description="py-scenario", key=key, permissions=permissions, network=network
        )
        self.cleanup_keys.append(info.id)
        return key, permissions, network

    def client_for(self, scenario: Dict[str, Any]) -> mikopbx.Client:
        key, permissions, network = self.key_for(scenario.get("key", "admin"))
        opts = scenario.get("client", {})
        url = opts.get("url", self.sim.url)
        url = url.replace("{sim_http}", self.sim.url.replace("https://", "http://"))
        kwargs: Dict[str, Any] = {"api_key": key}
        if opts.get("trust", "sim_ca") == "sim_ca":
            kwargs["ca_cert"] = self.sim.ca_path
        if opts.get("known_permissions"):
            kwargs["permissions"] = permissions
            if network:
                kwargs["key_network"] = network
        bind = opts.get("bind", "127.0.0.1")
        if bind != "127.0.0.1":
            kwargs["local_address"] = bind
        if "max_retries" in opts:
            kwargs["max_retries"] = opts["max_retries"]
        return mikopbx.Client(url, **kwargs)

    def call(self, client: mikopbx.Client, op: str, args: Dict[str, Any]) -> Any:
        args = dict(args)
        max_items = args.pop("max_items", None)
        for name in ("date_from", "date_to"):
            if name in args:
                args[name] = resolve_date(args[name])

        def listed(it: Any) -> List[Any]:
            return list(itertools.islice(it, max_items) if max_items is not None else it)

        if op == "minimal_permissions":
            return mikopbx.minimal_permissions(args["ops"])
        if op == "system.ping":
            return client.system.ping()
        if op == "system.check_auth":
            return client.system.check_auth()
        if op == "sysinfo.get_info":
            return client.sysinfo.get_info()
        if op == "pbx_status.active_calls":
            return client.pbx_status.active_calls()
        if op == "pbx_status.active_channels":
            return client.pbx_status.active_channels()
        if op == "api_keys.generate_key":
            return client.api_keys.generate_key()
        if op == "api_keys.list":
            return listed(client.api_keys.list())
        if op == "extensions.list":
            return listed(client.extensions.list(**args))
        if op == "extensions.get":
            return client.extensions.get(args["number"])
        if op == "extensions.available":
            return client.extensions.available(args["number"])
        if op == "employees.list":
            return listed(client.employees.list(**args))
        if op == "employees.get":
            return client.employees.get(args["id"])
        if op == "employees.delete":
            return client.employees.delete(args["id"])
        if op == "employees.create":
            created = client.employees.create(**args)
            self.cleanup_employees.append(created.id)
            return created
        if op == "employees.patch":
            ident = args.pop("id")
            return client.employees.patch(ident, **args)
        if op == "cdr.list":
            return listed(client.cdr.list(**args))
        raise AssertionError(f"the Python runner does not know operation {op!r}")

    def cleanup(self) -> None:
        for ident in self.cleanup_employees:
            try:
                self.admin.employees.delete(ident)
            except mikopbx.NotFoundError:
                pass
        for ident in self.cleanup_keys:
            self.admin.api_keys.delete(ident)


def check_ok(result: Any, expect: Dict[str, Any]) -> None:
    if "min_items" in expect:
        assert len(result) >= expect["min_items"], f"{len(result)} items"
    if "max_items" in expect:
        assert len(result) <= expect["max_items"], f"{len(result)} items"
    if "fields" in expect:
        for name, value in expect["fields"].items():
            assert as_text(field_of(result, name)) == as_text(value), name
    if "each" in expect:
        for item in result:
            for name, value in expect["each"].items():
                assert as_text(field_of(item, name)) == as_text(value), (name, item)
    if "contains" in expect:
        assert any(expect["contains"] in s for item in result for s in strings_of(item))
    if "equals" in expect:
        assert result == expect["equals"]


def check_error(exc: mikopbx.MikoPBXError, expect: Dict[str, Any]) -> None:
    assert exc.error_kind == expect["kind"], f"{type(exc).__name__}: {exc}"
    assert isinstance(exc, mikopbx.exception_class_for_kind(expect["kind"]))
    if "status" in expect:
        assert exc.status == expect["status"]
    if "resource" in expect or "required" in expect:
        assert isinstance(exc, mikopbx.PermissionDeniedError)
        assert exc.resource == expect.get("resource", exc.resource)
        assert exc.required == expect.get("required", exc.required)
    if "tls_kind" in expect:
        assert isinstance(exc, mikopbx.TLSError)
        assert exc.kind == expect["tls_kind"]
    if "message_contains" in expect:
        assert expect["message_contains"].lower() in str(exc).lower()


@pytest.mark.parametrize("scenario", [s for _, s in SCENARIOS], ids=[n for n, _ in SCENARIOS])
def test_scenario(scenario: Dict[str, Any], sim: Simulator, client: mikopbx.Client) -> None:
    runner = Runner(sim, client)
    try:
        call = scenario["call"]
        expect = scenario["expect"]
        try:
            with runner.client_for(scenario) as under_test:
                result = runner.call(under_test, call["op"], call.get("args", {}))
        except mikopbx.MikoPBXError as exc:
            if "error" not in expect:
                raise
            check_error(exc, expect["error"])
            return
        assert "error" not in expect, f"expected {expect['error']}, got {result!r}"
        check_ok(result, expect["ok"])
    finally:
        runner.cleanup()


def test_scenarios_exist() -> None:
    assert SCENARIOS, f"no scenario files in {SCENARIO_DIR}"
    assert Path(SCENARIO_DIR).is_dir()

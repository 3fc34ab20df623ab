"""The shared cross-language scenarios in tests/scenarios/*.json (format: tests/README.md), run
through the public typed Python API against the simulator.

The runner knows no operation: ``call.args`` are keyed by the Rust method's argument names, and
the manifest says which of them are structs, whose fields the Python methods take as keyword
arguments (Rust ``type_`` is Python ``type``).
"""

from __future__ import annotations

import datetime as dt
import json
import keyword
import re
from typing import Any, Dict, Iterator, List, Optional, Tuple

import pytest

import mikopbx
from mikopbx._operations import manifest
from simulator import REPO, Simulator

SCENARIO_DIR = REPO / "tests" / "scenarios"
OPERATIONS = {op["name"]: op for op in mikopbx.operations()}
MODELS: Dict[str, Any] = {m["name"]: m for m in manifest()["models"]}


def load() -> List[Tuple[str, Dict[str, Any]]]:
    out = []
    for path in sorted(SCENARIO_DIR.glob("*.json")):
        for scenario in json.loads(path.read_text()):
            out.append((f"{path.stem}: {scenario['name']}", scenario))
    return out


SCENARIOS = load()


def resolve_dates(value: Any, name: str = "") -> Any:
    """``"today"`` and ``"-N days"`` in ``date_from``/``date_to`` (anywhere) → ``YYYY-MM-DD``."""
    if isinstance(value, dict):
        return {k: resolve_dates(v, k) for k, v in value.items()}
    if isinstance(value, str) and name in ("date_from", "date_to"):
        today = dt.date.today()
        if value == "today":
            return today.isoformat()
        match = re.fullmatch(r"-(\d+) days?", value)
        if match:
            return (today - dt.timedelta(days=int(match.group(1)))).isoformat()
    return value


def python_name(rust: str) -> str:
    return rust[:-1] if rust.endswith("_") and not keyword.iskeyword(rust[:-1]) else rust


def keyword_arguments(op: mikopbx.Operation, args: Dict[str, Any]) -> Dict[str, Any]:
    """The Rust method's arguments as the Python method's keywords: struct arguments (a query
    struct, whose fields the manifest lists one by one, or a body struct) are flattened."""
    scalar = {p["name"] for p in op["parameters"] if p["type"] not in MODELS}
    kwargs: Dict[str, Any] = {}
    for name, value in args.items():
        fields = value.items() if name not in scalar and isinstance(value, dict) else [(name, value)]
        for field, v in fields:
            kwargs[python_name(field)] = v
    return kwargs


def as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def strings_of(item: Any) -> Iterator[str]:
    for field in MODELS[type(item).__name__]["fields"]:
        value = getattr(item, field["name"])
        if isinstance(value, str):
            yield value


class Runner:
    def __init__(self, sim: Simulator, admin: mikopbx.Client) -> None:
        self.sim = sim
        self.admin = admin
        self.cleanup_keys: List[str] = []
        self.created: List[Tuple[str, str]] = []

    def key_for(self, spec: Any) -> Tuple[str, Optional[mikopbx.Permissions], Optional[str]]:
        if spec == "admin":
            return self.sim.admin_key, "full", None
        if spec == "bogus":
            return "5e" * 32, None, None
        key = self.admin.api_keys.generate_key()
        permissions = spec["permissions"]
        network = spec.get("network", "any")
        info = self.admin.api_keys.create(
            description="py-scenario",
            key=key,
            full_permissions=permissions == "full",
            allowed_paths={} if permissions == "full" else permissions,
            network=network,
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
        if opts.get("known_permissions") and permissions is not None:
            kwargs["permissions"] = permissions
            if network:
                kwargs["key_network"] = network
        bind = opts.get("bind", "127.0.0.1")
        if bind != "127.0.0.1":
            kwargs["local_address"] = bind
        if "max_retries" in opts:
            kwargs["max_retries"] = opts["max_retries"]
        return mikopbx.Client(url, **kwargs)

    def call(self, client: mikopbx.Client, name: str, args: Dict[str, Any]) -> Any:
        if name == "minimal_permissions":
            return mikopbx.minimal_permissions(args["ops"])
        op = OPERATIONS[name]
        method = getattr(getattr(client, op["handle"]), op["method_name"])
        result = method(**keyword_arguments(op, resolve_dates(args)))
        if op["returns"]["form"] == "pager":
            return list(result)
        if op["method_name"] == "create" and hasattr(result, "id"):
            self.created.append((op["handle"], result.id))
        return result

    def cleanup(self) -> None:
        for handle, ident in self.created:
            try:
                getattr(self.admin, handle).delete(ident)
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
            assert as_text(getattr(result, name)) == as_text(value), name
    if "each" in expect:
        for item in result:
            for name, value in expect["each"].items():
                assert as_text(getattr(item, name)) == as_text(value), (name, item)
    if "contains" in expect:
        assert any(expect["contains"] in s for item in result for s in strings_of(item))
    if "equals" in expect:
        assert result == expect["equals"]


def check_error(exc: mikopbx.MikoPBXError, expect: Dict[str, Any]) -> None:
    assert exc.kind == expect["kind"], f"{type(exc).__name__}: {exc}"
    assert isinstance(exc, mikopbx.exception_class_for_kind(expect["kind"]))
    for name, value in expect.items():
        if name == "message_contains":
            assert value.lower() in str(exc).lower()
        else:
            assert getattr(exc, name) == value, (name, exc)


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
    assert {s["call"]["op"] for _, s in SCENARIOS} - {"minimal_permissions"} <= set(OPERATIONS)

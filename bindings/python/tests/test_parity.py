"""Parity with the core: every operation of the compiled core's table is a method of both
``Client`` and ``AsyncClient`` (``client.<handle>.<method_name>``), with exactly the parameters
its manifest entry implies, and nothing else is; every record the operations return is a class
with the manifest's fields. Fails when an operation is missing, named differently or takes other
parameters (regenerate with ``python3 bindings/python/generate.py``)."""

from __future__ import annotations

import inspect
import keyword
import re
import typing
from typing import Any, Dict, List, Tuple, Type

import pytest

import mikopbx
from mikopbx._operations import manifest

OPERATIONS = mikopbx.operations()
MODELS: Dict[str, Any] = {m["name"]: m for m in manifest()["models"]}
CLIENTS: List[Type[Any]] = [mikopbx.Client, mikopbx.AsyncClient]
POSITIONAL, KEYWORD = inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY


def python_name(rust: str) -> str:
    return rust[:-1] if rust.endswith("_") and not keyword.iskeyword(rust[:-1]) else rust


def expected_parameters(op: mikopbx.Operation) -> List[Tuple[str, Any, bool]]:
    """(name, kind, required): path ids and single body fields positional, a body struct's fields
    and query fields keyword-only; optional exactly when the Rust type is an ``Option``."""
    out: List[Tuple[str, Any, bool]] = []
    for p in op["parameters"]:
        body = MODELS.get(p["type"]) if p["in"] == "body" else None
        if body is not None:
            out += [(python_name(f["name"]), KEYWORD, not f["type"].startswith("Option<"))
                    for f in body["fields"]]
        else:
            kind = POSITIONAL if p["in"] in ("path", "body") else KEYWORD
            out.append((python_name(p["name"]), kind, p["required"]))
    return out


def handles(client_class: Type[Any]) -> Dict[str, Any]:
    client = client_class("https://pbx.invalid")  # nothing is sent before a call
    return {name: value for name, value in vars(client).items() if not name.startswith("_")}


@pytest.mark.parametrize("client_class", CLIENTS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("op", OPERATIONS, ids=lambda op: op["name"])
def test_operation_is_a_method_with_the_manifest_parameters(
    op: mikopbx.Operation, client_class: Type[Any]
) -> None:
    handle = handles(client_class).get(op["handle"])
    assert handle is not None, f"{client_class.__name__} has no .{op['handle']}"
    method = getattr(handle, op["method_name"], None)
    assert callable(method), f"{client_class.__name__}.{op['handle']} has no {op['method_name']}()"
    signature = inspect.signature(method)
    actual = [(n, p.kind, p.default is p.empty) for n, p in signature.parameters.items()]
    assert actual == expected_parameters(op), op["name"]

    is_async = client_class is mikopbx.AsyncClient and op["returns"]["form"] != "pager"
    assert inspect.iscoroutinefunction(method) == is_async, op["name"]
    returned = typing.get_type_hints(method)["return"]
    item = getattr(mikopbx, op["returns"]["type"], None)
    if op["returns"]["form"] == "pager":
        pager = mikopbx.AsyncPager if client_class is mikopbx.AsyncClient else mikopbx.Pager
        assert typing.get_origin(returned) is pager and typing.get_args(returned) == (item,)
    elif op["returns"]["form"] == "one" and item is not None:
        assert returned is item
    assert inspect.getdoc(method), f"{op['name']} has no docstring"


@pytest.mark.parametrize("client_class", CLIENTS, ids=lambda c: c.__name__)
def test_nothing_beyond_the_core(client_class: Type[Any]) -> None:
    # The core's features that are not REST operations of the table (`mikopbx::calls`,
    # `mikopbx::recordings`).
    expected: Dict[str, set[str]] = {
        "calls": {"watch", "originate"},
        "cdr": {"recording"},
        "asterisk_managers": {"create_click_to_call_manager"},
        "api_keys": {"create_for"},
    }
    for op in OPERATIONS:
        expected.setdefault(op["handle"], set()).add(op["method_name"])
    actual = {
        name: {m for m in dir(handle) if not m.startswith("_")}
        for name, handle in handles(client_class).items()
    }
    assert actual == expected


def returned_records() -> List[str]:
    names = {op["returns"]["type"] for op in OPERATIONS}
    todo, seen = list(names), set()
    while todo:
        name = todo.pop()
        if name in seen or MODELS.get(name, {}).get("kind") != "record":
            continue
        seen.add(name)
        for field in MODELS[name]["fields"]:
            todo += re.findall(r"\w+", field["type"])
    return sorted(seen)


@pytest.mark.parametrize("name", returned_records())
def test_record_classes_have_the_manifest_fields(name: str) -> None:
    cls = getattr(mikopbx, name, None)
    assert isinstance(cls, type), f"mikopbx.{name} is missing"
    assert name in mikopbx.__all__
    for field in MODELS[name]["fields"]:
        for attr in {field["name"], python_name(field["name"])}:
            assert isinstance(getattr(cls, attr, None), property) or hasattr(cls, attr), (name, attr)


def test_the_hand_written_call_stubs_match_the_core() -> None:
    # `mikopbx::calls` and `mikopbx::recordings` are not in the manifest, so generate.py states
    # their stubs by hand (NATIVE_CALLS, NATIVE_RECORDINGS): this keeps them equal to the core's
    # classes.
    import ast
    from pathlib import Path

    from mikopbx import _native

    tree = ast.parse((Path(_native.__file__).parent / "_native.pyi").read_text())
    for name in ("CallEvent", "NativeCallWatcher", "RecordingInfo", "NativeRecording",
                 "NativeRecordingStream"):
        stub = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == name)
        declared = {
            n.target.id if isinstance(n, ast.AnnAssign) and isinstance(n.target, ast.Name) else getattr(n, "name", "")
            for n in stub.body
        } - {""}
        actual = {a for a in dir(getattr(_native, name)) if not a.startswith("_")}
        assert declared == actual, name

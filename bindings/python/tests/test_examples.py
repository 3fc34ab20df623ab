"""The examples in examples/python run against the simulator, as an integrator would run them."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Dict, Iterator, List

import pytest

import mikopbx
from simulator import REPO, Simulator

EXAMPLES = REPO / "examples" / "python"


def run(script: str, args: List[str], env: Dict[str, str], expect_rc: int = 0) -> str:
    proc = subprocess.run(
        [sys.executable, str(EXAMPLES / script), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == expect_rc, proc.stdout + proc.stderr
    return proc.stdout


@pytest.fixture
def env(sim: Simulator) -> Dict[str, str]:
    return {"MIKOPBX_URL": sim.url, "MIKOPBX_API_KEY": sim.admin_key, "MIKOPBX_CA_CERT": str(sim.ca_path)}


@pytest.fixture
def crm_key(client: mikopbx.Client) -> Iterator[str]:
    """A key with exactly the permissions the CRM example says it needs."""
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "crm_caller_lookup.py"), "--print-permissions"],
        capture_output=True, text=True, check=True,
    ).stdout
    permissions = mikopbx.minimal_permissions(["extensions.list", "cdr.list"])
    assert dict(line.split(": ") for line in out.strip().splitlines()) == permissions
    key = client.api_keys.generate_key()
    info = client.api_keys.create(
        description="crm-example", key=key, full_permissions=False, allowed_paths=permissions, network="any"
    )
    yield key
    client.api_keys.delete(info.id)


def test_crm_caller_lookup_with_least_privilege(env: Dict[str, str], crm_key: str) -> None:
    out = run("crm_caller_lookup.py", ["201"], {**env, "MIKOPBX_API_KEY": crm_key})
    assert out.startswith("201: ")
    assert "not an internal number" not in out.splitlines()[0]


def test_crm_caller_lookup_external_number(env: Dict[str, str]) -> None:
    out = run("crm_caller_lookup.py", ["+15550000000"], env)
    assert "not an internal number" in out


def test_cdr_export_to_csv_resumes(env: Dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "calls.csv"
    first = run("cdr_export_csv.py", [str(out), "--days", "3", "--limit", "300"], env)
    assert "wrote" in first
    checkpoint = (tmp_path / "calls.csv.checkpoint").read_text()
    with out.open() as f:
        rows = list(csv.reader(f))
    assert rows[0][0] == "id" and len(rows) > 300
    run("cdr_export_csv.py", [str(out), "--days", "3", "--limit", "100"], env)
    with out.open() as f:
        rows2 = list(csv.reader(f))
    ids = [r[0] for r in rows2[1:]]
    assert len(rows2) > len(rows)
    assert len(ids) == len(set(ids)), "the resumed export repeated records"
    assert (tmp_path / "calls.csv.checkpoint").read_text() != checkpoint


def test_helpdesk_on_call(env: Dict[str, str]) -> None:
    out = run("helpdesk_on_call.py", [], env)
    assert out.strip()


def test_crm_screen_pop_and_recording(env: Dict[str, str], sim: Simulator, tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, str(EXAMPLES / "crm_screen_pop_and_recording.py"), "--print-permissions"],
        capture_output=True, text=True, check=True,
    ).stdout
    assert "/api/v3/pbx-status: read" in out and "/api/v3/cdr: read" in out
    notes = tmp_path / "notes"
    proc = subprocess.Popen(
        [sys.executable, str(EXAMPLES / "crm_screen_pop_and_recording.py"),
         "--extension", "270", "--notes", str(notes), "--calls", "1"],
        env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    assert proc.stdout is not None
    # The call rings for ten minutes of the simulator's clock: the watcher cannot miss it.
    linkedid = sim.place_call(from_="79161234567", to="270", answer_after_ms=600_000, talk_ms=2000)
    ringing = proc.stdout.readline()
    assert ringing.startswith("ringing 270: 79161234567"), ringing
    # Answer, talk, hang up, WorkerCdr's lag and the conversion, all at once.
    sim.advance(700_000)
    output, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0, ringing + output
    note = json.loads((notes / f"{linkedid}.json").read_text())
    assert note["disposition"] == "ANSWERED"
    audio = (notes / note["recording"]["file"]).read_bytes()
    assert len(audio) == note["recording"]["bytes"] and audio[:2] == b"\xff\xfb"


def test_examples_report_errors_plainly(env: Dict[str, str]) -> None:
    bad = {**env, "MIKOPBX_API_KEY": "7" * 64}
    run("helpdesk_on_call.py", [], bad, expect_rc=1)

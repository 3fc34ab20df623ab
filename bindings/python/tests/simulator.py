"""Starting and steering the MikoPBX simulator (crates/mikopbx-sim) from the tests.

The binary is located from ``MIKOPBX_SIM_BIN`` (set by scripts/test-python.sh), else
``target/debug/mikopbx-sim`` in the workspace, else built with ``cargo build -p mikopbx-sim``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import ssl
import subprocess
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, List, Optional

REPO = Path(__file__).resolve().parents[3]
_URL_RE = re.compile(r"(https?://[0-9A-Za-z.\[\]:]+)")


def sim_binary() -> Path:
    env = os.environ.get("MIKOPBX_SIM_BIN")
    if env:
        return Path(env)
    target = Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    path = target / "debug" / "mikopbx-sim"
    if not path.exists():
        subprocess.run(["cargo", "build", "-q", "-p", "mikopbx-sim"], cwd=REPO, check=True)
    return path


@dataclass
class Simulator:
    """A running simulator process and what a client needs to reach it."""

    url: str
    state_dir: Path
    process: "subprocess.Popen[str]"
    output: List[str] = field(default_factory=list)

    @property
    def ca_path(self) -> Path:
        return self.state_dir / "ca.pem"

    @property
    def ca_pem(self) -> str:
        return self.ca_path.read_text()

    @property
    def admin_key(self) -> str:
        return (self.state_dir / "admin-key.txt").read_text().strip()

    @property
    def control_token(self) -> str:
        return (self.state_dir / "control-token.txt").read_text().strip()

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    @property
    def ajam_port(self) -> int:
        """The port of the simulator's Asterisk HTTPS listener (AJAM, for click-to-call)."""
        return int((self.state_dir / "ajam-url.txt").read_text().strip().rsplit(":", 1)[1])

    def ajam_log(self) -> Dict[str, Any]:
        """The originates AJAM accepted and the count of secrets seen in URLs (``state.json``)."""
        state = json.loads((self.state_dir / "state.json").read_text())
        log: Dict[str, Any] = state.get("ajam_log") or {"originates": [], "secrets_in_url": 0}
        return log

    def create_manager(self, username: str, secret: str, rights: List[str], networkfilterid: str) -> None:
        """``POST asterisk-managers`` with the admin key, in the server's wire format (``rights``
        like ``["originate_write", "call_read"]``), independent of the SDK."""
        classes = ["call", "cdr", "originate", "reporting", "agent", "config", "dialplan", "dtmf",
                   "log", "system", "user", "verbose", "command"]
        permissions = {f"{c}_{a}": f"{c}_{a}" in rights for c in classes for a in ("read", "write")}
        body = {"username": username, "secret": secret, "permissions": permissions,
                "networkfilterid": networkfilterid, "description": "python test"}
        context = ssl.create_default_context(cafile=str(self.ca_path))
        request = urllib.request.Request(
            self.url + "/pbxcore/api/v3/asterisk-managers",
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {self.admin_key}"},
        )
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            assert json.loads(response.read())["result"] is True

    def place_call(self, **call: Any) -> str:
        """``POST /_sim/calls`` (``from_``, ``to``, ``answer_after_ms``, ``talk_ms``): its linkedid."""
        if "from_" in call:
            call["from"] = call.pop("from_")
        return str(json.loads(self._control("/_sim/calls", call))["linkedid"])

    def advance(self, ms: int) -> None:
        """``POST /_sim/clock``: moves the simulator's clock (calls, recordings) forward."""
        self._control("/_sim/clock", {"advance_ms": ms})

    def _control(self, path: str, body: Dict[str, Any]) -> bytes:
        context = ssl.create_default_context(cafile=str(self.ca_path))
        request = urllib.request.Request(
            self.url + path,
            data=json.dumps(body).encode(),
            method="POST",
            headers={"Content-Type": "application/json", "X-Sim-Control": self.control_token},
        )
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return bytes(response.read())

    def faults(self, **faults: Any) -> None:
        """``POST /_sim/faults``, e.g. ``faults(status_burst={"status": 503, "count": 3})``."""
        self._control("/_sim/faults", faults)

    def clear_faults(self) -> None:
        self.faults(latency_ms=0, reset_next=0, truncate_next=0, status_burst={"status": 500, "count": 0})

    def reset(self) -> None:
        """``POST /_sim/reset``: forget rate-limit counters and bans."""
        self._control("/_sim/reset", {})

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_simulator(*extra_args: str, state_dir: Optional[Path] = None) -> Simulator:
    """Starts ``mikopbx-sim --addr 127.0.0.1:0`` and waits for the line with its URL."""
    state = state_dir or Path(tempfile.mkdtemp(prefix="mikopbx-sim-py-"))
    process = subprocess.Popen(
        [str(sim_binary()), "--addr", "127.0.0.1:0", "--state-dir", str(state), *extra_args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: List[str] = []
    found: List[str] = []
    ready = threading.Event()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            match = _URL_RE.search(line)
            if match and not found:
                found.append(match.group(1))
                ready.set()
        ready.set()

    threading.Thread(target=pump, name="mikopbx-sim-output", daemon=True).start()
    deadline = time.monotonic() + 60
    while not ready.wait(0.1):
        if time.monotonic() > deadline:
            process.kill()
            raise RuntimeError("the simulator printed no URL within 60 s:\n" + "\n".join(lines))
    if not found:
        raise RuntimeError(
            f"the simulator exited ({process.poll()}) without printing its URL:\n" + "\n".join(lines)
        )
    return Simulator(url=found[0].rstrip("/"), state_dir=state, process=process, output=lines)


def remove_state(sim: Simulator) -> None:
    shutil.rmtree(sim.state_dir, ignore_errors=True)


"""Process lifecycle: exiting with SDK calls still in flight."""

from __future__ import annotations

from simulator import Simulator


ABANDON_AT_EXIT = """
import asyncio, sys
import mikopbx

async def main() -> None:
    url, key, ca = sys.argv[1:4]
    async with mikopbx.AsyncClient(url, api_key=key, ca_cert=ca) as c:
        slow = [asyncio.create_task(c.system.check_auth()) for _ in range(10)]
        pages = [asyncio.create_task(c.extensions.list(page_size=1).to_list()) for _ in range(5)]
        await asyncio.sleep(0.05)
        # Leave everything running: asyncio.run cancels the tasks, the process exits.
        del slow, pages

asyncio.run(main())
print("clean exit")
"""


def test_exit_with_abandoned_calls_is_clean(sim: Simulator) -> None:
    """Calls cancelled as the interpreter exits must not touch it while it finalizes."""
    import subprocess
    import sys

    sim.faults(latency_ms=200)
    for _ in range(8):
        proc = subprocess.run(
            [sys.executable, "-c", ABANDON_AT_EXIT, sim.url, sim.admin_key, str(sim.ca_path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert proc.returncode == 0 and "clean exit" in proc.stdout, proc.stderr[-2000:]
        assert "Fatal Python error" not in proc.stderr

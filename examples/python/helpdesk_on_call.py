"""Helpdesk check: which agents are on a call right now? (asyncio)

Reads the active calls and the extension directory concurrently, then names both ends:

    MIKOPBX_URL=... MIKOPBX_API_KEY=... MIKOPBX_CA_CERT=ca.pem python helpdesk_on_call.py
"""

from __future__ import annotations

import asyncio
import sys
from typing import Dict, List, Optional

import mikopbx


async def who_is_on_a_call(pbx: mikopbx.AsyncClient) -> List[str]:
    async def directory() -> Dict[str, str]:
        return {ext.number: ext.callerid or ext.number async for ext in pbx.extensions.list()}

    calls, names = await asyncio.gather(pbx.pbx_status.active_calls(), directory())
    if not calls:
        return ["nobody is on a call"]
    lines = []
    for call in calls:
        src = call.src_num or "?"
        dst = call.dst_num or "?"
        caller = names.get(src, call.src_name or src)
        callee = names.get(dst, call.dst_name or dst)
        since = f" since {call.answer or call.start}" if (call.answer or call.start) else ""
        lines.append(f"{caller} ({src}) <-> {callee} ({dst}){since}")
    return lines


async def run() -> int:
    try:
        async with mikopbx.AsyncClient.from_env(timeout=20) as pbx:
            for line in await who_is_on_a_call(pbx):
                print(line)
    except mikopbx.MikoPBXError as exc:
        print(f"check failed: {exc}", file=sys.stderr)
        return 1
    return 0


def main(argv: Optional[List[str]] = None) -> int:
    return asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())

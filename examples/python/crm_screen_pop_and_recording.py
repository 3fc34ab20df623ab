"""CRM screen-pop and call note: while a call rings, find the caller among the employees; when it
ends, attach the recording to the call note.

    MIKOPBX_URL=... MIKOPBX_API_KEY=... MIKOPBX_CA_CERT=ca.pem \\
        python crm_screen_pop_and_recording.py --extension 201 --notes ./notes [--calls 1]

The key needs only read on ``pbx-status``, ``cdr`` and ``employees`` (``--print-permissions``).
Each finished call becomes ``notes/<linkedid>.json`` with its recording beside it. A real CRM
would post both to its API instead of writing files.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Dict, List, Optional

import mikopbx

EXTENSIONS = {"audio/webm": "webm", "audio/mpeg": "mp3", "audio/wav": "wav", "audio/ogg": "ogg"}

# What the watcher polls, what the recording needs, and the directory.
PERMISSIONS = ["pbx_status.active_channels", "cdr.list", "employees.list"]


def directory(pbx: mikopbx.Client) -> Dict[str, str]:
    """Extension number → employee name (a CRM would search its contacts too)."""
    return {e.number: e.user_username for e in pbx.employees.list() if e.number}


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--extension", action="append", default=[], help="watch this extension (repeatable)")
    parser.add_argument("--notes", type=Path, default=Path("notes"))
    parser.add_argument("--calls", type=int, default=0, help="stop after this many finished calls")
    parser.add_argument("--print-permissions", action="store_true")
    args = parser.parse_args(argv)
    if args.print_permissions:
        for path, access in mikopbx.minimal_permissions(PERMISSIONS).items():
            print(f"{path}: {access}")
        return 0
    args.notes.mkdir(parents=True, exist_ok=True)
    try:
        with mikopbx.Client.from_env(timeout=30) as pbx:
            names = directory(pbx)
            finished = 0
            for event in pbx.calls.watch(extensions=args.extension, poll_interval=1.0):
                if event.type == "ringing":
                    who = names.get(event.caller, "unknown caller")
                    print(f"ringing {event.extension}: {event.caller} ({who})", flush=True)
                elif event.type == "ended":
                    note: Dict[str, object] = {
                        "linkedid": event.linkedid,
                        "caller": event.caller,
                        "called": event.called,
                        "disposition": event.disposition,
                        "talk_seconds": event.billsec,
                    }
                    if event.cdr is not None and event.disposition == "ANSWERED":
                        # Waits while the PBX converts the recording (seconds to minutes).
                        recording = pbx.cdr.recording(event.cdr, wait=300)
                        saved = args.notes / f"{event.linkedid}.recording"
                        info = recording.save(saved)
                        name = f"{event.linkedid}.{EXTENSIONS.get(info.content_type, 'bin')}"
                        saved.rename(args.notes / name)
                        note["recording"] = {"file": name, "type": info.content_type, "bytes": info.size}
                    (args.notes / f"{event.linkedid}.json").write_text(json.dumps(note, indent=2))
                    print(f"note {event.linkedid}: {event.disposition}", flush=True)
                    finished += 1
                    if args.calls and finished >= args.calls:
                        return 0
    except mikopbx.MikoPBXError as exc:
        print(f"stopped: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""CRM caller lookup: who is behind this phone number, and when did they last call?

A CRM calls this when a call comes in. It needs a key that may only read extensions and call
history (the least privilege for the job, see ``--print-permissions``):

    MIKOPBX_URL=https://pbx.example.com MIKOPBX_API_KEY=... MIKOPBX_CA_CERT=ca.pem \\
        python crm_caller_lookup.py 201
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import sys
from typing import List, Optional

import mikopbx

#: The SDK operations this integration uses; mikopbx.minimal_permissions() turns them into the
#: allowed_paths to give its key.
OPERATIONS = ["extensions.list", "cdr.list"]


def lookup(pbx: mikopbx.Client, number: str, days: int = 30) -> List[str]:
    lines: List[str] = []
    matches = [ext for ext in pbx.extensions.list(search=number) if ext.number == number]
    if matches:
        ext = matches[0]
        lines.append(f"{number}: {ext.callerid or '(no name)'} [{ext.type}]")
    else:
        lines.append(f"{number}: not an internal number")
    since = (dt.date.today() - dt.timedelta(days=days)).isoformat()
    recent = list(itertools.islice(pbx.cdr.list(src_num=number, date_from=since), 5))
    if not recent:
        lines.append(f"no calls from {number} in the last {days} days")
    for call in recent:
        lines.append(f"  {call.start}  {call.src_num} -> {call.dst_num}  {call.disposition}  {call.billsec}s")
    return lines


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("number", nargs="?", default="201", help="the caller's number")
    parser.add_argument("--print-permissions", action="store_true", help="show the key this needs")
    args = parser.parse_args(argv)
    if args.print_permissions:
        for path, access in mikopbx.minimal_permissions(OPERATIONS).items():
            print(f"{path}: {access}")
        return 0
    try:
        with mikopbx.Client.from_env(timeout=20) as pbx:
            for line in lookup(pbx, args.number):
                print(line)
    except mikopbx.PermissionDeniedError as exc:
        print(f"the key cannot do this: {exc}", file=sys.stderr)
        return 2
    except mikopbx.MikoPBXError as exc:
        print(f"lookup failed: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

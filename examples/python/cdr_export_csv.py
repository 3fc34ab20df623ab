"""Export call detail records to CSV, resumably.

Streams every record of the period page by page (memory stays flat for 100 000 records) and
remembers the last record written in ``<out>.checkpoint``, so an interrupted export continues
where it stopped:

    MIKOPBX_URL=... MIKOPBX_API_KEY=... MIKOPBX_CA_CERT=ca.pem \\
        python cdr_export_csv.py calls.csv --days 7
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import sys
from pathlib import Path
from typing import List, Optional

import mikopbx

COLUMNS = ["id", "start", "answer", "endtime", "src_num", "dst_num", "did", "disposition",
           "duration", "billsec", "linkedid"]


def export(pbx: mikopbx.Client, out: Path, days: int, limit: Optional[int] = None) -> int:
    checkpoint_file = out.with_name(out.name + ".checkpoint")
    resume = int(checkpoint_file.read_text()) if checkpoint_file.exists() else None
    today = dt.date.today()
    records = pbx.cdr.list(
        date_from=(today - dt.timedelta(days=days)).isoformat(),
        date_to=today.isoformat(),
        page_size=500,
        resume_after=resume,
    )
    written = 0
    new_file = resume is None or not out.exists()
    with out.open("w" if new_file else "a", newline="") as f:
        writer = csv.writer(f)
        if new_file:
            writer.writerow(COLUMNS)
        for page in records.pages():
            for rec in page:
                writer.writerow([getattr(rec, column) for column in COLUMNS])
            written += len(page)
            f.flush()
            if records.checkpoint is not None:
                checkpoint_file.write_text(str(records.checkpoint))
            if limit is not None and written >= limit:
                break
    return written


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description="Export CDR to CSV")
    parser.add_argument("out", type=Path)
    parser.add_argument("--days", type=int, default=1)
    parser.add_argument("--limit", type=int, default=None, help="stop after about this many rows")
    args = parser.parse_args(argv)
    try:
        with mikopbx.Client.from_env(timeout=60) as pbx:
            count = export(pbx, args.out, args.days, args.limit)
    except mikopbx.MikoPBXError as exc:
        print(f"export failed: {exc}", file=sys.stderr)
        return 1
    print(f"wrote {count} records to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The Python SDK against requests, httpx and aiohttp, side by side, against the simulator.

    python bindings/python/bench/bench.py [--reps N] [--cdr-records N] [--only WORKLOAD,...]

(`scripts/bench.sh` builds the release wheel and the simulator, installs the comparison clients
into a separate venv and runs this.) Everything goes over HTTPS with keep-alive to
`mikopbx-sim` on 127.0.0.1 (the simulator exempts 127.* from its rate limit, and the SDK's
governor is off for loopback). Each workload runs its contenders interleaved, `--reps` rounds in a
shuffled order, and prints the median and the spread (min–max) of each, plus the ratio of each
contender's median to the SDK's. Nothing here asserts a time: it measures.

Workloads
- `one`: one employee by id, blocking (SDK `employees.get` vs `session.get(...).json()`).
- `page50`: one page of 50 extensions as objects (SDK records vs one object per dict).
- `cdr`: a CDR export into Python objects, pages of 1000, keyset paging by id (each contender
  in its own process, so the RSS growth is its own).
- `async100`: 100 requests in flight at once, asyncio (SDK `AsyncClient` vs httpx, aiohttp).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import resource
import ssl
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable, Dict, List, Tuple

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "tests"))

from simulator import Simulator, start_simulator  # noqa: E402

CDR_PAGE = 1000
CDR_PATH = "/pbxcore/api/v3/cdr"


class Obj:
    """What a hand-written integration makes of a JSON record: an object with its fields."""

    def __init__(self, fields: Dict[str, Any]) -> None:
        self.__dict__.update(fields)


def rss_kib() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# ---- contenders --------------------------------------------------------------------------------


def sdk_client(url: str, key: str, ca: str) -> Any:
    import mikopbx

    return mikopbx.Client(url, api_key=key, ca_cert=ca, timeout=60.0)


def requests_session(key: str, ca: str) -> Any:
    import requests

    s = requests.Session()
    s.trust_env = False  # else REQUESTS_CA_BUNDLE overrides `verify`, and proxies apply
    s.headers["Authorization"] = f"Bearer {key}"
    s.headers["Accept"] = "application/json"
    s.verify = ca
    return s


def httpx_client(key: str, ca: str) -> Any:
    import httpx

    return httpx.Client(
        headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
        verify=ssl.create_default_context(cafile=ca),
        trust_env=False,
    )


def timed_loop(fn: Callable[[], Any], n: int) -> float:
    """Seconds per call over `n` calls."""
    started = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - started) / n


def interleave(
    contenders: Dict[str, Callable[[], float]], reps: int
) -> Dict[str, List[float]]:
    out: Dict[str, List[float]] = {name: [] for name in contenders}
    for _ in range(reps):
        order = list(contenders)
        random.shuffle(order)
        for name in order:
            out[name].append(contenders[name]())
    return out


def report(title: str, unit: str, results: Dict[str, List[float]], scale: float, higher_is_better: bool) -> Dict[str, Any]:
    print(f"\n## {title}  (load average {loadavg()})")
    sdk_median = statistics.median(results["sdk"])
    rows = {}
    for name, values in results.items():
        med = statistics.median(values)
        ratio = med / sdk_median if sdk_median else float("nan")
        rows[name] = {"median": med, "min": min(values), "max": max(values), "runs": len(values)}
        print(
            f"{name:>10}: median {med * scale:10.1f} {unit}  spread {min(values) * scale:.1f}–{max(values) * scale:.1f}"
            f"  ({len(values)} runs)  {'×SDK' if not higher_is_better else 'SDK÷this'} "
            f"{(ratio if not higher_is_better else 1 / ratio if ratio else float('nan')):.2f}"
        )
    return rows


def bench_one(sim: Simulator, reps: int, calls: int) -> Dict[str, Any]:
    key, ca = sim.admin_key, str(sim.ca_path)
    sdk = sdk_client(sim.url, key, ca)
    employee_id = str(sdk.employees.list(page_size=1).__next__().id)
    rs, hx = requests_session(key, ca), httpx_client(key, ca)
    url = f"{sim.url}/pbxcore/api/v3/employees/{employee_id}"

    def raw(get: Callable[[str], Any]) -> Callable[[], Any]:
        return lambda: get(url).json()["data"]

    fns = {
        "sdk": lambda: sdk.employees.get(employee_id),
        "requests": raw(rs.get),
        "httpx": raw(hx.get),
    }
    for f in fns.values():  # warm: connection, TLS session
        for _ in range(20):
            f()
    res = interleave({n: (lambda f=f: timed_loop(f, calls)) for n, f in fns.items()}, reps)
    return report(f"one employee by id, sync ({calls} calls per run)", "µs", res, 1e6, False)


def bench_page50(sim: Simulator, reps: int, calls: int) -> Dict[str, Any]:
    key, ca = sim.admin_key, str(sim.ca_path)
    sdk = sdk_client(sim.url, key, ca)
    rs, hx = requests_session(key, ca), httpx_client(key, ca)
    url = f"{sim.url}/pbxcore/api/v3/extensions?limit=50&offset=0"

    def raw(get: Callable[[str], Any]) -> Callable[[], Any]:
        def page() -> List[Obj]:
            items = [Obj(d) for d in get(url).json()["data"]]
            assert len(items) == 50, len(items)
            return items

        return page

    def sdk_page() -> List[Any]:
        items = next(sdk.extensions.list(page_size=50, max_items=50).pages())
        assert len(items) == 50, len(items)
        return items  # type: ignore[no-any-return]

    fns = {"sdk": sdk_page, "requests": raw(rs.get), "httpx": raw(hx.get)}
    for f in fns.values():
        for _ in range(10):
            f()
    res = interleave({n: (lambda f=f: timed_loop(f, calls)) for n, f in fns.items()}, reps)
    return report(f"one page of 50 extensions as objects, sync ({calls} pages per run)", "µs", res, 1e6, False)


# ---- CDR export (one process per run) -------------------------------------------------------


def cdr_window() -> Tuple[str, str]:
    import datetime

    tomorrow = datetime.date.today() + datetime.timedelta(days=1)
    return (str(tomorrow - datetime.timedelta(days=364)), str(tomorrow))


def cdr_child(who: str, url: str, key: str, ca: str, count: int) -> Dict[str, Any]:
    """Exports `count` records into Python objects; time and RSS of this process."""
    date_from, date_to = cdr_window()
    if who == "sdk":
        import mikopbx  # noqa: F401  (import before measuring RSS, like requests below)
    else:
        import requests  # noqa: F401
    rss0 = rss_kib()
    peak = rss0
    started = time.perf_counter()
    n = 0
    ids = 0
    if who == "sdk":
        client = sdk_client(url, key, ca)
        for rec in client.cdr.list(date_from=date_from, date_to=date_to, page_size=CDR_PAGE, max_items=count, resume_after=0):
            ids += rec.id
            n += 1
            if n % 10_000 == 0:
                peak = max(peak, rss_kib())
    elif who == "sim-bytes":
        # The simulator's own capacity: the same pages fetched as bytes, nothing decoded (the
        # keyset position read from the tail of the body).
        session = requests_session(key, ca)
        after = 0
        while n < count:
            limit = min(CDR_PAGE, count - n)
            params = {
                "dateFrom": date_from, "dateTo": date_to, "sort": "id", "order": "ASC",
                "grouped": "false", "limit": str(limit), "offset": "0", "idFrom": str(after),
            }
            body = session.get(url + CDR_PATH, params=params).content
            tail = body[body.rfind(b'"lastId":') + 9:]
            last = tail[: tail.find(b"}")].strip()
            if last == b"null":
                break
            n += limit
            after = int(last)
            ids += (after * (after + 1) - (after - limit) * (after - limit + 1)) // 2
            peak = max(peak, rss_kib())
    else:
        session = requests_session(key, ca)
        after = 0
        while n < count:
            params = {
                "dateFrom": date_from, "dateTo": date_to, "sort": "id", "order": "ASC",
                "grouped": "false", "limit": str(min(CDR_PAGE, count - n)), "offset": "0",
                "idFrom": str(after),
            }
            data = session.get(url + CDR_PATH, params=params).json()["data"]
            page = [Obj(r) for r in data["records"]]
            for rec in page:
                ids += int(rec.id)
                n += 1
            peak = max(peak, rss_kib())
            if not page or not data["pagination"]["hasMore"]:
                break
            after = int(page[-1].id)
    secs = time.perf_counter() - started
    peak = max(peak, rss_kib())
    return {"records": n, "secs": secs, "rss0_kib": rss0, "peak_kib": peak, "idsum": ids}


def bench_cdr(sim: Simulator, reps: int, count: int, sdk_before: str = "") -> Dict[str, Any]:
    names = ["sdk", "requests", "sim-bytes"] + (["sdk-before"] if sdk_before else [])
    results: Dict[str, List[float]] = {n: [] for n in names}
    growth: Dict[str, List[int]] = {n: [] for n in names}
    sums = set()
    for _ in range(reps):
        order = list(results)
        random.shuffle(order)
        for who in order:
            env = dict(os.environ)
            if who == "sdk-before":
                # An older build of the package, from its own directory (`pip install --target`).
                env["PYTHONPATH"] = sdk_before
            out = subprocess.run(
                [sys.executable, __file__, "--cdr-child", "sdk" if who == "sdk-before" else who,
                 sim.url, sim.admin_key, str(sim.ca_path), str(count)],
                check=True, capture_output=True, text=True, env=env,
            ).stdout
            r = json.loads(out.strip().splitlines()[-1])
            if r["records"] != count:
                raise SystemExit(f"{who} exported {r['records']} records, not {count}")
            if who != "sim-bytes":
                sums.add(r["idsum"])
            results[who].append(r["records"] / r["secs"])
            growth[who].append((r["peak_kib"] - r["rss0_kib"]) // 1024)
    if len(sums) != 1:
        raise SystemExit(f"the contenders exported different records: {sums}")
    rows = report(f"CDR export of {count} records into Python objects, pages of {CDR_PAGE}", "rec/s", results, 1.0, True)
    for who, g in growth.items():
        print(f"{who:>10}: RSS growth {statistics.median(g)} MiB (spread {min(g)}–{max(g)})")
        rows[who]["rss_growth_mib"] = g
    return rows


# ---- async, 100 in flight ---------------------------------------------------------------------


async def async_run(who: str, sim: Simulator, inflight: int, total: int) -> Tuple[float, int]:
    """Requests/s of `total` requests with `inflight` at once, and how many did not succeed."""
    key, ca = sim.admin_key, str(sim.ca_path)
    url = f"{sim.url}/pbxcore/api/v3/employees?limit=1"
    path_ok = 0
    failed = 0
    sem = asyncio.Semaphore(inflight)

    if who == "sdk":
        import mikopbx

        client = mikopbx.AsyncClient(sim.url, api_key=key, ca_cert=ca, timeout=60.0, max_retries=0)
        eid = str((await client.employees.list(page_size=1).__anext__()).id)

        async def one() -> bool:
            try:
                await client.employees.get(eid)
                return True
            except mikopbx.MikoPBXError:
                return False
    elif who == "httpx":
        import httpx

        client = httpx.AsyncClient(
            headers={"Authorization": f"Bearer {key}", "Accept": "application/json"},
            verify=ssl.create_default_context(cafile=ca),
            limits=httpx.Limits(max_connections=inflight, max_keepalive_connections=inflight),
            trust_env=False,
        )
        eid = str((await client.get(url)).json()["data"]["data"][0]["id"])

        async def one() -> bool:
            r = await client.get(f"{sim.url}/pbxcore/api/v3/employees/{eid}")
            r.json()
            return r.status_code == 200
    else:
        import aiohttp

        connector = aiohttp.TCPConnector(limit=inflight, ssl=ssl.create_default_context(cafile=ca))
        client = aiohttp.ClientSession(
            connector=connector, headers={"Authorization": f"Bearer {key}", "Accept": "application/json"}
        )
        async with client.get(url) as r:
            eid = str((await r.json())["data"]["data"][0]["id"])

        async def one() -> bool:
            async with client.get(f"{sim.url}/pbxcore/api/v3/employees/{eid}") as r:
                await r.json()
                return r.status == 200

    async def guarded() -> bool:
        async with sem:
            return await one()

    await asyncio.gather(*(guarded() for _ in range(inflight)))  # warm: open the connections
    started = time.perf_counter()
    oks = await asyncio.gather(*(guarded() for _ in range(total)))
    secs = time.perf_counter() - started
    path_ok = sum(oks)
    failed = total - path_ok
    if who == "sdk":
        client.close()
    elif who == "httpx":
        await client.aclose()  # type: ignore[attr-defined]
    else:
        await client.close()  # type: ignore[attr-defined]
    return path_ok / secs, failed


def bench_async(sim: Simulator, reps: int, total: int) -> Dict[str, Any]:
    results: Dict[str, List[float]] = {"sdk": [], "httpx": [], "aiohttp": []}
    failures: Dict[str, int] = {k: 0 for k in results}
    for _ in range(reps):
        order = list(results)
        random.shuffle(order)
        for who in order:
            rate, failed = asyncio.run(async_run(who, sim, 100, total))
            results[who].append(rate)
            failures[who] += failed
    rows = report(f"async, 100 in flight, {total} requests per run (successful req/s)", "req/s", results, 1.0, True)
    for who, f in failures.items():
        print(f"{who:>10}: {f} requests not successful in all runs (the simulator's 50-deep queue answers 503)")
        rows[who]["failed"] = f
    return rows


def main() -> None:
    if len(sys.argv) > 1 and sys.argv[1] == "--cdr-child":
        who, url, key, ca, count = sys.argv[2:7]
        print(json.dumps(cdr_child(who, url, key, ca, int(count))))
        return
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=7)
    ap.add_argument("--calls", type=int, default=300, help="calls per run (one, page50)")
    ap.add_argument("--cdr-records", type=int, default=100_000)
    ap.add_argument("--cdr-reps", type=int, default=3)
    ap.add_argument("--async-total", type=int, default=3000)
    ap.add_argument("--only", default="one,page50,cdr,async100")
    ap.add_argument("--json", help="write the results here")
    ap.add_argument("--sdk-before", default="", help="a directory holding an older build of the package (cdr only)")
    ap.add_argument("--sim", help="the simulator binary (default: MIKOPBX_SIM_BIN)")
    args = ap.parse_args()
    import mikopbx

    print(f"mikopbx {mikopbx.__version__} from {Path(mikopbx.__file__).parent}; Python {sys.version.split()[0]}; "
          f"{os.cpu_count()} CPUs; load average {loadavg()}")
    if args.sim:
        os.environ["MIKOPBX_SIM_BIN"] = args.sim
    sim = start_simulator("--cdr-records", str(max(110_000, args.cdr_records + 10_000)))
    out: Dict[str, Any] = {}
    try:
        only = args.only.split(",")
        if "one" in only:
            out["one"] = bench_one(sim, args.reps, args.calls)
        if "page50" in only:
            out["page50"] = bench_page50(sim, args.reps, args.calls // 3)
        if "cdr" in only:
            out["cdr"] = bench_cdr(sim, args.cdr_reps, args.cdr_records, args.sdk_before)
        if "async100" in only:
            out["async100"] = bench_async(sim, args.reps, args.async_total)
    finally:
        sim.stop()
    print(f"\nmax RSS of the harness {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB; load average {loadavg()}")
    if args.json:
        Path(args.json).write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()

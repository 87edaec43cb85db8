#!/usr/bin/env python3
"""How vidkeep-host's costs grow with history (issue 15): `list` first page,
full-text query, cold start and database size at 10k, 100k and 1M stored
videos. Run through `bench/run.sh --scale` (which builds the host); see
docs/benchmarks.md, "Scale".

The databases are made once through the host itself (`driver ingest`: video
requests over pipes, as the extension sends them, in batches of at most
250,000 per host process, each batch with its own seed so no two videos are
the same) and kept under ~/.cache/vidkeep/bench/scale-N (never in the repo);
a directory without its `complete` mark (an interrupted run) is made again.
"""
import argparse
import json
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import time
from datetime import datetime, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bench import CALLER, ROOT, machine_info, run_json, stats  # noqa: E402

BATCH = 250_000
LIST = '{"type":"list","limit":50}'
QUERY = '{"type":"list","limit":50,"query":"zebrafish"}'


def log(*a):
    print("scale:", *a, file=sys.stderr, flush=True)


def env(home):
    return ["--env", f"VIDKEEP_HOME={home}", "--env", f"VIDKEEP_SYSTEM_CONFIG={home}/system-config.json",
            "--stderr", os.path.join(home, "stderr.log")]


def make_db(a, n):
    """The database of `n` videos (made if missing); returns (home, seconds it took to make, or None)."""
    home = os.path.join(a.cache, f"scale-{n}")
    mark = os.path.join(home, "complete")
    if os.path.exists(mark):
        try:
            return home, json.load(open(mark))["made_s"]
        except (ValueError, KeyError, TypeError):
            return home, None
    shutil.rmtree(home, ignore_errors=True)
    os.makedirs(home)
    # As the main benchmark: the media cache off (the workload's CDN does not
    # resolve), the driver's development id trusted.
    with open(os.path.join(home, "config.json"), "w") as f:
        json.dump({"media": {"enabled": False}}, f)
    with open(os.path.join(home, "system-config.json"), "w") as f:
        json.dump({"dev_ids": True}, f)
    host = [os.path.join(a.bin, "vidkeep-host"), CALLER]
    t0 = time.monotonic()
    done, seed = 0, 1
    while done < n:
        batch = min(BATCH, n - done)
        # The last batch's host stays idle for a second: its checkpointer
        # empties the WAL then, as a host the browser keeps open does.
        idle = "1000" if done + batch == n else "0"
        out = run_json([a.driver, "ingest", "--n", str(batch), "--dup", "0", "--seed", str(seed),
                        "--idle-ms", idle] + env(home) + ["--"] + host)
        if out["ok"] != batch or out["duplicates"] != 0:
            raise RuntimeError(f"making {n}: batch {seed}: {out}")
        done += batch
        seed += 1
        log(f"{n:,}: {done:,} stored ({done / (time.monotonic() - t0):,.0f}/s)")
    seconds = time.monotonic() - t0
    with open(mark, "w") as f:
        json.dump({"videos": n, "made_s": seconds}, f)
    return home, seconds


def db_bytes(home):
    return sum(os.path.getsize(os.path.join(home, f)) for f in os.listdir(home)
               if f.startswith("vidkeep.db"))


def settle(home):
    """Leaves the WAL empty, as the host's idle checkpoint does. Databases
    made before that checkpoint existed kept megabytes of WAL, which every
    start then read to rebuild the WAL index."""
    wal = os.path.join(home, "vidkeep.db-wal")
    if os.path.exists(wal) and os.path.getsize(wal) > 0:
        with sqlite3.connect(os.path.join(home, "vidkeep.db")) as db:
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        log(f"{home}: WAL checkpointed and truncated (left by an older host)")


def measure(a, n):
    home, made_s = make_db(a, n)
    settle(home)
    host = [os.path.join(a.bin, "vidkeep-host"), CALLER]
    cold, lst, query, heads = [], [], [], {}
    # Rounds alternate the two kinds of run, so a burst of load elsewhere on
    # the machine spreads over both.
    for _ in range(a.rounds):
        out = run_json([a.driver, "cold", "--runs", str(a.cold_runs), "--warmup", "1"] + env(home) + ["--"] + host)
        cold += [x / 1e6 for x in out["samples_ns"]]
        out = run_json([a.driver, "lat", "--repeat", str(a.repeat), "--warmup", "20",
                        "--request", f"list={LIST}", "--request", f"query={QUERY}"] + env(home) + ["--"] + host)
        lst += [x / 1e6 for x in out["list"]["samples_ns"]]
        query += [x / 1e6 for x in out["query"]["samples_ns"]]
        heads = {k: out[k]["answer_bytes"] for k in ("list", "query")}
    r = {"videos": n, "db_bytes": db_bytes(home), "made_s": made_s,
         "cold_start_ms": stats(cold), "list_first_page_ms": stats(lst), "query_ms": stats(query),
         "list_answer_bytes": heads["list"], "query_answer_bytes": heads["query"]}
    log(f"{n:,}: list {r['list_first_page_ms']['median']:.3f} ms, query {r['query_ms']['median']:.3f} ms, "
        f"cold {r['cold_start_ms']['median']:.2f} ms, {r['db_bytes'] / 2**20:.1f} MiB")
    return r


def spread(s, digits=3):
    return f"{s['median']:.{digits}f} ({s['min']:.{digits}f}–{s['max']:.{digits}f})"


def table(res):
    rows = ["| stored videos | `list` first page of 50 | full-text query (1 in 1,000) | cold start to `hello` "
            "| database (+ WAL) | per video | made in |",
            "| --- | --- | --- | --- | --- | --- | --- |"]
    for r in res["sizes"]:
        made = f"{r['made_s']:.0f} s ({r['videos'] / r['made_s']:,.0f}/s)" if r["made_s"] else "—"
        rows.append(f"| {r['videos']:,} | {spread(r['list_first_page_ms'])} ms | {spread(r['query_ms'])} ms "
                    f"| {spread(r['cold_start_ms'], 2)} ms | {r['db_bytes'] / 2**20:,.1f} MiB "
                    f"| {r['db_bytes'] / r['videos']:,.0f} B | {made} |")
    m = res["machine"]
    rows += ["", f"Run: {res['started']} ({res['elapsed_s']:.0f} s); host {res['built']}; "
             f"{m.get('cpu', '?')}, {m.get('cores', '?')} cores; load before `{res['load_before']}`, "
             f"after `{res['load_after']}`. Medians (min–max) of {res['rounds']} rounds × "
             f"{res['repeat']} round trips (list, query) and × {res['cold_runs']} starts (cold)."]
    return "\n".join(rows)


def update_doc(path, text):
    begin, end = "<!-- scale:begin -->", "<!-- scale:end -->"
    doc = open(path).read()
    i, j = doc.index(begin) + len(begin), doc.index(end)
    open(path, "w").write(doc[:i] + "\n" + text + "\n" + doc[j:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--built", default="given binaries")
    ap.add_argument("--driver", required=True)
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--cache", default=os.path.expanduser("~/.cache/vidkeep/bench"))
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=300)
    ap.add_argument("--cold-runs", type=int, default=5)
    ap.add_argument("--results-dir", default=os.path.join(ROOT, "bench/results"))
    ap.add_argument("--doc", default=None, help="write the Scale table into this markdown file")
    a = ap.parse_args()
    a.bin = os.path.abspath(a.bin)
    os.makedirs(a.cache, exist_ok=True)
    os.makedirs(a.results_dir, exist_ok=True)
    t0 = time.monotonic()
    started = datetime.now(timezone.utc).isoformat(timespec="seconds")
    load_before = open("/proc/loadavg").read().strip()
    res = {"started": started, "built": a.built, "rounds": a.rounds, "repeat": a.repeat,
           "cold_runs": a.cold_runs, "load_before": load_before, "sizes": []}
    for n in [int(x) for x in a.sizes.split(",")]:
        res["sizes"].append(measure(a, n))
    res["load_after"] = open("/proc/loadavg").read().strip()
    res["elapsed_s"] = time.monotonic() - t0
    info = machine_info(argparse.Namespace(bin=a.bin, built=a.built, chromium="/nonexistent", skip_extension=True))
    res["machine"] = info if isinstance(info, dict) else {}
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = os.path.join(a.results_dir, f"scale-{stamp}.json")
    with open(path, "w") as f:
        json.dump(res, f, indent=1)
    text = table(res)
    if a.doc:
        update_doc(a.doc, text)
    print(text)
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""SQLite's own share of an ingest (issue 15): the statements vidkeep-host
runs for each `video` request — the dedupe lookup by video_id, then for a
new video its row, its outbox row and its FTS row, for a duplicate the new
URL — in group commits, from Python, on a copy of a database the host made.
The host's other work (parsing, validation, canonical URL, answers, pipes)
is not here, so this is a floor for the host's main thread, not a host.

  bench/run.sh --floor [--bin DIR]      (the host of bench/run.sh makes the database)
  bench/sqlite_floor.py --bin DIR | --db PATH  [--batch N]... [--n 100000] [--rounds 3] [--variants]

The database is one the host itself made (`--bin`: an empty one, made by
starting the host and asking `hello`; or `--db`: any vidkeep.db, e.g. the
10k one of `bench/run.sh --scale`), so its schema is the host's. Each round copies it, runs every
batch size and the same calls with trivial statements (`SELECT ?`: what
Python and the sqlite3 module cost), and prints CPU microseconds per request;
SQLite's share is the difference. CPU time, not wall: the WAL writes go to
the page cache and the checkpoint is left out (the host runs it on another
thread), so wall time here says more about the disk than about SQLite.

--variants also measures, at the first batch size, what two schema changes
would save (on a copy whose `videos` table is rebuilt; an empty database
only): the video id as a 16-byte BLOB instead of 36 characters of text in
the unique index, and no full-text row on the write path.
"""
import argparse
import os
import random
import shutil
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import uuid

WORDS = ("cinematic drone reef watercolor market station glass skateboard tiny slow "
         "cat surfing wave neon city").split()


def workload(n, seed=1):
    """`n` requests, a quarter of them re-signed duplicates, 200 chats, like bench/driver's."""
    rnd = random.Random(seed)
    chats = [str(uuid.UUID(int=rnd.getrandbits(128), version=4)) for _ in range(200)]
    reqs, made = [], []
    for _ in range(n):
        if made and rnd.random() < 0.25:
            reqs.append((True, rnd.choice(made)))
            continue
        chat = rnd.choice(chats)
        canon = f"https://cdn.example.com/generations/{rnd.getrandbits(96):024x}/0.mp4"
        row = (str(uuid.uuid5(uuid.NAMESPACE_URL, chat + "\n" + canon)), chat, canon,
               canon + "?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIAEXAMPLE%2F20261116%2F"
               "us-east-1%2Fs3%2Faws4_request&X-Amz-Date=20261116T100000Z&X-Amz-Expires=3600"
               f"&X-Amz-SignedHeaders=host&X-Amz-Signature={rnd.getrandbits(256):064x}",
               canon[:-3] + "webp", " ".join(rnd.choice(WORDS) for _ in range(10)), "sse",
               f"https://chat.example/chat/{chat}", "https://chat.example", "2026-11-16T10:00:00Z",
               '{"duration_s":5.0,"height":720,"model":"video-gen-1","width":1280}',
               "2026-12-05T00:00:00.000Z", "2026-12-05T00:00:00.000Z")
        reqs.append((False, row))
        made.append(row)
    return reqs


def blob_key(db_path):
    """Rebuilds the (empty) `videos` table of the copy with `video_id` a BLOB."""
    db = sqlite3.connect(db_path, isolation_level=None)
    if db.execute("SELECT count(*) FROM videos").fetchone()[0]:
        sys.exit("sqlite_floor: --variants needs an empty database (--bin)")
    table = db.execute("SELECT sql FROM sqlite_master WHERE name = 'videos'").fetchone()[0]
    rest = [r[0] for r in db.execute("SELECT sql FROM sqlite_master WHERE tbl_name = 'videos' "
                                     "AND type IN ('index', 'trigger') AND sql IS NOT NULL")]
    changed = table.replace("video_id      TEXT NOT NULL UNIQUE", "video_id      BLOB NOT NULL UNIQUE")
    if changed == table:
        sys.exit("sqlite_floor: the videos table no longer declares video_id as this script expects")
    db.execute("DROP TABLE videos")
    for sql in [changed] + rest:
        db.execute(sql)
    db.close()


def run(db_path, reqs, batch, trivial, fts=True):
    """CPU µs per request for `reqs` in commits of `batch`."""
    db = sqlite3.connect(db_path, isolation_level=None)
    # The host's page cache (host/store.cpp).
    for pragma in ("journal_mode=WAL", "synchronous=NORMAL", "cache_size=-1024", "wal_autocheckpoint=0"):
        db.execute("PRAGMA " + pragma)
    q = db.execute
    start = time.process_time()
    for k in range(0, len(reqs), batch):
        q("BEGIN IMMEDIATE")
        for dup, r in reqs[k:k + batch]:
            if trivial:
                q("SELECT ?", (r[0],)).fetchone()
                if dup:
                    q("SELECT ?, ?, ?", (r[3], r[12], 1))
                else:
                    q("SELECT ?,?,?,?,?,?,?,?,?,?,?,?,?", r)
                    q("SELECT ?, ?", (1, r[12]))
                    q("SELECT ?, ?", (1, r[5]))
                continue
            found = q("SELECT v.seq, o.state FROM videos v JOIN outbox o ON o.seq = v.seq "
                      "WHERE v.video_id = ?", (r[0],)).fetchone()
            if found:
                q("UPDATE videos SET url = ?, updated_at = ? WHERE seq = ?", (r[3] + "&r=1", r[12], found[0]))
                continue
            seq = q("INSERT INTO videos (video_id, chat_id, canonical_url, url, thumbnail_url, prompt, "
                    "source, page_url, origin, observed_at, meta, created_at, updated_at) "
                    "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)", r).lastrowid
            q("INSERT INTO outbox (seq, state, updated_at, next_try_ms) VALUES (?, 'pending', ?, 0)", (seq, r[12]))
            if fts:
                q("INSERT INTO videos_fts (rowid, prompt) VALUES (?, ?)", (seq, r[5]))
        q("COMMIT")
    cpu = time.process_time() - start
    db.close()
    return cpu / len(reqs) * 1e6


def fresh_copy(origin, copy):
    # The WAL goes with the file: the host may have left its last commits
    # (the schema, for a new database) there.
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(copy + suffix):
            os.remove(copy + suffix)
    for suffix in ("", "-wal"):
        if os.path.exists(origin + suffix):
            shutil.copy(origin + suffix, copy + suffix)


def make_db(bin_dir, home):
    """An empty database, made by the host as it starts; returns its path."""
    os.makedirs(home, exist_ok=True)
    with open(os.path.join(home, "system-config.json"), "w") as f:
        f.write('{"dev_ids": true}')
    hello = b'{"id":"h","type":"hello"}'
    env = {**os.environ, "VIDKEEP_HOME": home, "VIDKEEP_SYSTEM_CONFIG": os.path.join(home, "system-config.json")}
    out = subprocess.run([os.path.join(bin_dir, "vidkeep-host"), "chrome-extension://dcdfhfchgbigephadgggjnlglgfffpgb/"],
                         input=struct.pack("<I", len(hello)) + hello, env=env, capture_output=True, timeout=30)
    path = os.path.join(home, "vidkeep.db")
    if b'"ok":true' not in out.stdout or not os.path.exists(path):
        sys.exit(f"sqlite_floor: the host did not make a database: {out.stdout[:200]!r} {out.stderr[:500]!r}")
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--bin", help="the directory of vidkeep-host, which makes an empty database")
    src.add_argument("--db", help="a vidkeep.db to start from (copied, never written)")
    ap.add_argument("--batch", type=int, action="append")
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--variants", action="store_true", help="also the two schema changes (see above)")
    a = ap.parse_args()
    batches = a.batch or [370, 1500]
    reqs = workload(a.n)
    samples = {b: [] for b in batches}
    python = []
    # The same requests with the id's 16 bytes (made here, not in the timing).
    blob_reqs = [(dup, (uuid.UUID(r[0]).bytes,) + r[1:]) for dup, r in reqs]
    variants = {"video_id a 16-byte BLOB": dict(reqs=blob_reqs, fts=True, rebuild=True),
                "no full-text row": dict(reqs=reqs, fts=False, rebuild=False),
                "both": dict(reqs=blob_reqs, fts=False, rebuild=True)} if a.variants else {}
    vsamples = {v: [] for v in variants}
    with tempfile.TemporaryDirectory() as tmp:
        origin = a.db or make_db(a.bin, os.path.join(tmp, "made"))
        copy = os.path.join(tmp, "vidkeep.db")
        for _ in range(a.rounds):
            python.append(run(":memory:", reqs, batches[0], trivial=True))
            for b in batches:
                fresh_copy(origin, copy)
                samples[b].append(run(copy, reqs, b, trivial=False))
            for v, opts in variants.items():
                fresh_copy(origin, copy)
                if opts["rebuild"]:
                    blob_key(copy)
                vsamples[v].append(run(copy, opts["reqs"], batches[0], trivial=False, fts=opts["fts"]))
    py = statistics.median(python)
    print(f"{a.n:,} requests (25% duplicates) on a copy of {a.db or 'an empty database the host made'}; "
          f"medians of {a.rounds} rounds, CPU per request")
    print(f"  Python and the sqlite3 module alone: {py:.1f} µs")
    for b in batches:
        total = statistics.median(samples[b])
        print(f"  commits of {b:>5}: {total:.1f} µs in all, SQLite {total - py:.1f} µs "
              f"(a main thread doing only this: {1e6 / (total - py):,.0f}/s)")
    for v in variants:
        total = statistics.median(vsamples[v])
        print(f"  commits of {batches[0]:>5}, {v}: SQLite {total - py:.1f} µs ({1e6 / (total - py):,.0f}/s)")


if __name__ == "__main__":
    main()

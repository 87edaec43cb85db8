#!/usr/bin/env python3
"""Orchestrates the vidkeep benchmark (issue 8). Not in any measured path:
every timing is taken by bench/driver (C++) or, for the extension figure, by
Chromium itself (CDP). Called by bench/run.sh; see docs/benchmarks.md.
"""
import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CALLER = "chrome-extension://dcdfhfchgbigephadgggjnlglgfffpgb/"

FULL = dict(cold_rounds=6, cold_per_round=5, ingest_n=100_000, ingest_runs_vidkeep=5, ingest_runs_baseline=3,
            lat_repeat=1000, lat_procs=3, sync_n=10_000, sync_runs=3, ext_events=10_000, ext_runs=9,
            ext_memory_events=100_000, idle_ms=1000, download_bytes=1 << 30, download_runs=3)
SMOKE = dict(cold_rounds=1, cold_per_round=3, ingest_n=2_000, ingest_runs_vidkeep=1, ingest_runs_baseline=1,
             lat_repeat=10, lat_procs=1, sync_n=200, sync_runs=1, ext_events=500, ext_runs=1,
             ext_memory_events=1_000, idle_ms=100, download_bytes=16 << 20, download_runs=1)
PARTS = ("ingest", "cold", "lat", "sync", "extension", "download")  # cold and lat need ingest

TARGETS = {  # issue 15 (round two; issue 8 before it), this machine, medians
    "cold_start_ms": ("<=", 2.5),
    "ingest_videos_per_s": (">=", 60_000),
    "list_first_page_ms": ("<=", 0.25),
    "query_ms": ("<=", 0.4),
    "ingest_peak_rss_mib": ("<=", 10.0),
    "sync_videos_per_s": (">=", 2_000),
    "capture_added_pct_sse": ("<=", 5.0),
    "capture_added_pct_ws": ("<=", 5.0),
    "capture_added_pct_poll": ("<=", 5.0),
    "download_mb_per_s": (">=", 300),  # issue 7
    "download_peak_rss_mib": ("<", 20.0),
}


def log(*a):
    print("[bench]", *a, file=sys.stderr, flush=True)


def stats(values):
    v = [x for x in values if x is not None]
    if not v:
        return None
    return {"median": statistics.median(v), "min": min(v), "max": max(v), "n": len(v)}


def pct(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(p * len(v)))] if v else None


def run_json(cmd, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, **kw)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:6])}... exited {p.returncode}: {p.stderr[-2000:]}\n{p.stdout[-2000:]}")
    text = p.stdout.strip()
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return json.loads(text.splitlines()[-1])


def cpu_busy_snapshot():
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts), idle


def machine_info(args):
    def sh(cmd):
        try:
            return subprocess.run(cmd, shell=True, capture_output=True, text=True, timeout=20).stdout.strip()
        except Exception:  # noqa: BLE001
            return ""
    import sqlite3
    cpu = sh("lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1")
    return {
        "cpu": cpu, "cores": os.cpu_count(), "mem_total": sh("free -h | awk '/^Mem:/{print $2}'"),
        "kernel": platform.release(), "os": sh(". /etc/os-release && echo $PRETTY_NAME"),
        "python": platform.python_version(), "python_sqlite": sqlite3.sqlite_version,
        "host_sqlite": sh("dpkg-query -W -f='${Version}' libsqlite3-0"),
        "compiler": sh("c++ --version | head -1"), "node": sh("node --version"),
        "chromium": sh(f"{args.chromium} --version"),
        "git_commit": sh(f"git -C {ROOT} rev-parse --short HEAD"),
        "host_dirty": sh(f"git -C {ROOT} status --porcelain host/ CMakeLists.txt | wc -l"),
        "host_binary": os.path.join(args.bin, "vidkeep-host"),
        "host_built_from": args.built,
        "host_binary_mtime": datetime.fromtimestamp(os.path.getmtime(os.path.join(args.bin, "vidkeep-host")),
                                                    timezone.utc).isoformat(timespec="seconds"),
        "filesystem": sh(f"df -T {tempfile.gettempdir()} | awk 'NR==2{{print $2}}'"),
    }


class Bench:
    def __init__(self, args):
        self.a = args
        self.cfg = SMOKE if args.smoke else FULL
        self.work = tempfile.mkdtemp(prefix="vidkeep-bench-", dir=args.workdir)
        self.driver = args.driver
        self.hosts = {
            "vidkeep": [os.path.join(args.bin, "vidkeep-host"), CALLER],
            "baseline": [sys.executable, os.path.join(ROOT, "bench/baseline_host.py")],
        }
        self.r = {"figures": {}, "raw": {}}

    def env(self, home):
        return ["--env", f"VIDKEEP_HOME={home}", "--env", f"VIDKEEP_SYSTEM_CONFIG={home}/system-config.json",
                "--stderr", os.path.join(self.work, "stderr.log")]

    def home(self, name, media=False):
        # The media cache is off for the issue-8 figures: the workload's CDN
        # host does not resolve here, so its downloader would only measure
        # failing lookups. The download figure turns it on in its own homes.
        h = os.path.join(self.work, name)
        shutil.rmtree(h, ignore_errors=True)
        os.makedirs(h)
        if not media:
            with open(os.path.join(h, "config.json"), "w") as f:
                json.dump({"media": {"enabled": False}}, f)
        # The driver speaks as the public development id, trusted only when
        # a config says so (issue 13).
        with open(os.path.join(h, "system-config.json"), "w") as f:
            json.dump({"dev_ids": True}, f)
        return h

    # -- ingest: fresh database each run; the first run's database (75,000
    # videos when n = 100,000 with 25% duplicates) is kept for the rest.
    def ingest(self):
        c = self.cfg
        raw = {"vidkeep": [], "baseline": []}
        self.db_homes = {}
        order = []
        for i in range(max(c["ingest_runs_vidkeep"], c["ingest_runs_baseline"])):
            if i < c["ingest_runs_vidkeep"]:
                order.append(("vidkeep", i))
            if i < c["ingest_runs_baseline"]:
                order.append(("baseline", i))
        for name, i in order:
            h = self.home(f"ingest-{name}-{i}")
            lat = os.path.join(self.work, f"ingest-latency-{name}-{i}.txt")
            out = run_json([self.driver, "ingest", "--n", str(c["ingest_n"]), "--dup", "0.25",
                            "--idle-ms", str(c["idle_ms"]), "--latency-out", lat] + self.env(h) + ["--"] + self.hosts[name])
            if out["answered"] != c["ingest_n"] or out["ok"] != c["ingest_n"]:
                raise RuntimeError(f"ingest {name}: {out}")
            raw[name].append(out)
            log(f"ingest {name} #{i}: {out['elapsed_ns'] / 1e6:.0f} ms, {c['ingest_n'] / out['elapsed_ns'] * 1e9:,.0f}/s, "
                f"VmHWM {out['vm_hwm_kb'] / 1024:.1f} MiB, dups {out['duplicates']}")
            if i == 0:
                self.db_homes[name] = h
                self.latency_files = getattr(self, "latency_files", {})
                self.latency_files[name] = lat
        self.r["raw"]["ingest"] = raw
        n = c["ingest_n"]
        for name in raw:
            el = [x["elapsed_ns"] / 1e6 for x in raw[name]]
            self.r["figures"].setdefault(name, {}).update({
                "ingest_ms": stats(el),
                "ingest_videos_per_s": stats([n / (ms / 1e3) for ms in el]),
                "ingest_peak_rss_mib": stats([x["vm_hwm_kb"] / 1024 for x in raw[name]]),
                "idle_rss_after_ingest_mib": stats([x["idle_rss_kb"] / 1024 for x in raw[name]]),
                "ingest_cpu_s": stats([x["cpu_ns"] / 1e9 for x in raw[name]]),
                "ingest_ack_latency_p50_ms": stats([x["lat_p50_ns"] / 1e6 for x in raw[name]]),
                "ingest_ack_latency_p99_ms": stats([x["lat_p99_ns"] / 1e6 for x in raw[name]]),
            })
        # Videos in the kept database, for the record.
        self.r["db_videos"] = {name: n - raw[name][0]["duplicates"] for name in raw}

    def cold(self):
        c = self.cfg
        samples = {"vidkeep": [], "baseline": [], "trivial": []}
        idle = {}
        cmds = dict(self.hosts, trivial=[self.a.trivial])
        for rnd in range(c["cold_rounds"]):
            for name in ("vidkeep", "baseline", "trivial"):
                h = self.db_homes.get(name, self.work)
                last = rnd == c["cold_rounds"] - 1
                out = run_json([self.driver, "cold", "--runs", str(c["cold_per_round"]), "--warmup", "1",
                                "--idle-ms", str(c["idle_ms"] if last else 0)] + self.env(h) + ["--"] + cmds[name])
                samples[name] += [x / 1e6 for x in out["samples_ns"]]
                if last:
                    idle[name] = out
        self.r["raw"]["cold_ms"] = samples
        for name, s in samples.items():
            fig = self.r["figures"].setdefault(name, {})
            fig["cold_start_ms"] = stats(s)
            fig["cold_start_p90_ms"] = pct(s, 0.9)
            fig["idle_rss_mib"] = idle[name]["idle_rss_kb"] / 1024
            fig["rss_after_hello_mib"] = idle[name]["rss_after_hello_kb"] / 1024
        log("cold (ms):", {k: round(statistics.median(v), 3) for k, v in samples.items()})

    def lat(self):
        c = self.cfg
        reqs = {"list_first_page_ms": '{"type":"list","limit":50}',
                "query_ms": '{"type":"list","limit":50,"query":"zebrafish"}',
                "status_ms": '{"type":"status"}'}
        raw = {}
        for name in ("vidkeep", "baseline"):
            pooled = {k: [] for k in reqs}
            heads = {}
            for _ in range(c["lat_procs"]):
                args = []
                for k, body in reqs.items():
                    args += ["--request", f"{k}={body}"]
                out = run_json([self.driver, "lat", "--repeat", str(c["lat_repeat"]), "--warmup", "20"] + args +
                               self.env(self.db_homes[name]) + ["--"] + self.hosts[name])
                for k in reqs:
                    pooled[k] += [x / 1e6 for x in out[k]["samples_ns"]]
                    heads[k] = {"answer_bytes": out[k]["answer_bytes"]}
            raw[name] = pooled
            fig = self.r["figures"][name]
            for k, s in pooled.items():
                fig[k] = stats(s)
                fig[k.replace("_ms", "_p99_ms")] = pct(s, 0.99)
                fig[k.replace("_ms", "_answer_bytes")] = heads[k]["answer_bytes"]
            log(f"lat {name}:", {k: round(statistics.median(v), 4) for k, v in pooled.items()})
        self.r["raw"]["lat_ms"] = raw

    def sync(self):
        c = self.cfg
        server = subprocess.Popen(["node", os.path.join(ROOT, "bench/chat_server.mjs"), "1", "bench-token"],
                                  stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        try:
            origin = json.loads(server.stdout.readline())["origin"]
            seed = self.home("sync-seed")
            # No grace before the first send (issue 12's sync.app_save_grace_ms,
            # 15 s by default, counted from each video's ingest): it is a
            # deliberate wait for the app's own save, not a cost of sending,
            # and would otherwise be most of the drain time. The copies below
            # inherit this config.
            with open(os.path.join(seed, "config.json"), "w") as f:
                json.dump({"media": {"enabled": False}, "sync": {"app_save_grace_ms": 0}}, f)
            out = run_json([self.driver, "ingest", "--n", str(c["sync_n"]), "--dup", "0", "--origin", origin,
                            "--seed", "7"] + self.env(seed) + ["--"] + self.hosts["vidkeep"])
            assert out["ok"] == c["sync_n"], out
            configure = json.dumps({"type": "configure", "id": 1, "server": {
                "origin": origin, "auth": {"cookie": "authjs.session-token=good-session"}}})
            host_runs, cli_runs = [], []
            for i in range(c["sync_runs"]):
                h = os.path.join(self.work, f"sync-host-{i}")
                shutil.rmtree(h, ignore_errors=True)
                shutil.copytree(seed, h)
                o = run_json([self.driver, "sync", "--expect", str(c["sync_n"]), "--timeout", "600",
                              "--configure", configure] + self.env(h) + ["--"] + self.hosts["vidkeep"])
                if o["synced"] != c["sync_n"]:
                    raise RuntimeError(f"sync: {o}")
                host_runs.append(o)
                log(f"sync host #{i}: {o['elapsed_ns'] / 1e9:.2f} s, {c['sync_n'] / o['elapsed_ns'] * 1e9:,.0f}/s, "
                    f"cpu {o['cpu_ns'] / 1e9:.2f} s")
                h2 = os.path.join(self.work, f"sync-cli-{i}")
                shutil.rmtree(h2, ignore_errors=True)
                shutil.copytree(seed, h2)
                o2 = run_json([self.driver, "run", "--env", "VIDKEEP_TOKEN=bench-token"] + self.env(h2) +
                              ["--", os.path.join(self.a.bin, "vidkeep"), "sync", "--origin", origin])
                st = run_json([os.path.join(self.a.bin, "vidkeep"), "stats", "--json"],
                              env=dict(os.environ, VIDKEEP_HOME=h2, VIDKEEP_SYSTEM_CONFIG=h2 + "/none.json"))
                o2["stats"] = st
                cli_runs.append(o2)
                log(f"sync cli  #{i}: {o2['elapsed_ns'] / 1e9:.2f} s, cpu {o2['user_s'] + o2['sys_s']:.2f} s, stats {st}")
        finally:
            server.stdin.close()
            tail = server.stdout.read()
            server.wait(timeout=30)
        self.r["raw"]["sync_host"] = host_runs
        self.r["raw"]["sync_cli"] = cli_runs
        self.r["chat_app"] = json.loads(tail.strip().splitlines()[-1]) if tail.strip() else None
        n = c["sync_n"]
        fig = self.r["figures"]["vidkeep"]
        fig["sync_videos_per_s"] = stats([n / (o["elapsed_ns"] / 1e9) for o in host_runs])
        fig["sync_cpu_s_per_1000"] = stats([o["cpu_ns"] / 1e9 / (n / 1000) for o in host_runs])
        fig["sync_peak_rss_mib"] = stats([o["vm_hwm_kb"] / 1024 for o in host_runs])
        fig["sync_cli_videos_per_s"] = stats([n / (o["elapsed_ns"] / 1e9) for o in cli_runs])
        fig["sync_cli_cpu_s_per_1000"] = stats([(o["user_s"] + o["sys_s"]) / (n / 1000) for o in cli_runs])

    def extension(self):
        c = self.cfg
        cmd = ["node", os.path.join(ROOT, "bench/extension_bench.mjs"), "--events", str(c["ext_events"]),
               "--runs", str(c["ext_runs"]), "--memory-events", str(c["ext_memory_events"]),
               "--chromium", self.a.chromium, "--host", os.path.join(self.a.bin, "vidkeep-host")]
        try:
            out = run_json(cmd, timeout=900)
        except Exception as e:  # noqa: BLE001
            self.r["extension_error"] = str(e)[-3000:]
            log("extension figure failed:", str(e)[-500:])
            return
        self.r["raw"]["extension"] = out
        fig = self.r["figures"].setdefault("vidkeep", {})
        # Per workload: the renderer main thread's CPU time (cpu_ms; CDP
        # TaskDuration where /proc is missing), and the cost added by capture
        # per round (with ÷ without − 1 of the same round), then its median.
        for kind, runs in out.get("by_kind", {"sse": out}).items():
            key = "cpu_ms" if all(x.get("cpu_ms") is not None for x in runs["with_capture"] + runs["without_capture"]) else "task_ms"
            w = [x[key] for x in runs["with_capture"]]
            wo = [x[key] for x in runs["without_capture"]]
            fig[f"page_cpu_ms_{kind}_with_capture"] = stats(w)
            fig[f"page_cpu_ms_{kind}_without_capture"] = stats(wo)
            fig[f"capture_added_pct_{kind}"] = stats([(a / b - 1) * 100 for a, b in zip(w, wo)])
            fig[f"capture_added_ms_{kind}"] = stats([a - b for a, b in zip(w, wo)])
            fig[f"page_cpu_source_{kind}"] = key
        sse = out.get("by_kind", {}).get("sse", out)
        w = [x["task_ms"] for x in sse["with_capture"]]
        wo = [x["task_ms"] for x in sse["without_capture"]]
        fig["page_task_ms_with_capture"] = stats(w)
        fig["page_task_ms_without_capture"] = stats(wo)
        fig["capture_added_pct"] = stats([(a / b - 1) * 100 for a, b in zip(w, wo)])
        if out.get("memory_with"):
            fig["page_heap_mib_after_events_with_capture"] = out["memory_with"]["heap_after_bytes"] / 2**20
            fig["page_heap_mib_after_events_without_capture"] = out["memory_without"]["heap_after_bytes"] / 2**20
        self.r["extension_browser"] = out.get("browser_version")

    # -- download (issue 7): the host's media downloader fetching one file of
    # download_bytes from a loopback HTTP server inside the driver, request
    # written -> media_state `cached` (the file hashed, fsynced, moved into
    # the cache, recorded). A fresh data root per run, deleted after it.
    def download(self):
        c = self.cfg
        size = c["download_bytes"]
        runs = []
        for i in range(c["download_runs"]):
            h = self.home(f"download-{i}", media=True)
            with open(os.path.join(h, "config.json"), "w") as f:
                json.dump({"media": {"allow_http": True, "allow_private_addresses": True,
                                     "max_file_bytes": 4 * size}}, f)
            out = run_json([self.driver, "media", "--bytes", str(size), "--timeout", "600"] + self.env(h) +
                           ["--"] + self.hosts["vidkeep"])
            if not out["cached"] or not out["sha_ok"]:
                raise RuntimeError(f"download: {out}")
            shutil.rmtree(h, ignore_errors=True)
            runs.append(out)
            log(f"download #{i}: {size / 2**20:.0f} MiB in {out['elapsed_ns'] / 1e9:.2f} s, "
                f"{size / out['elapsed_ns'] * 1e3:,.0f} MB/s to cached ({size / out['transfer_ns'] * 1e3:,.0f} MB/s "
                f"on the wire, {out['after_last_byte_ns'] / 1e6:.0f} ms after the last byte), "
                f"VmHWM {out['vm_hwm_kb'] / 1024:.1f} MiB (RSS before {out['rss_before_kb'] / 1024:.1f} MiB)")
        self.r["raw"]["download"] = runs
        fig = self.r["figures"].setdefault("vidkeep", {})
        fig["download_mb_per_s"] = stats([size / o["elapsed_ns"] * 1e3 for o in runs])
        fig["download_wire_mb_per_s"] = stats([size / o["transfer_ns"] * 1e3 for o in runs])
        fig["download_after_last_byte_ms"] = stats([o["after_last_byte_ns"] / 1e6 for o in runs])
        fig["download_cpu_s_per_gb"] = stats([o["cpu_ns"] / 1e9 / (size / 1e9) for o in runs])
        fig["download_peak_rss_mib"] = stats([o["vm_hwm_kb"] / 1024 for o in runs])
        fig["download_rss_growth_mib"] = stats([(o["vm_hwm_kb"] - o["rss_before_kb"]) / 1024 for o in runs])
        self.r["download_bytes"] = size

    def run(self):
        t_start = time.time()
        busy0 = cpu_busy_snapshot()
        self.r["started_at"] = datetime.now(timezone.utc).isoformat(timespec="seconds")
        self.r["mode"] = "smoke" if self.a.smoke else "full"
        self.r["config"] = self.cfg
        self.r["machine"] = machine_info(self.a)
        self.r["load_before"] = open("/proc/loadavg").read().strip()
        self.r["top_before"] = subprocess.run("ps -eo pcpu,comm --sort=-pcpu | head -6", shell=True,
                                              capture_output=True, text=True).stdout
        only = set(self.a.only.split(",")) if self.a.only else set(PARTS)
        if only - set(PARTS):
            raise SystemExit(f"bench.py: --only takes {','.join(PARTS)}")
        if only & {"cold", "lat"}:
            only.add("ingest")
        self.r["parts"] = [p for p in PARTS if p in only]
        try:
            if "ingest" in only:
                self.ingest()
            if "cold" in only:
                self.cold()
            if "lat" in only:
                self.lat()
            if "sync" in only:
                self.sync()
            if "extension" in only and not self.a.skip_extension:
                self.extension()
            if "download" in only:
                self.download()
        finally:
            busy1 = cpu_busy_snapshot()
            self.r["load_after"] = open("/proc/loadavg").read().strip()
            total = busy1[0] - busy0[0]
            self.r["machine_busy_pct"] = round(100 * (1 - (busy1[1] - busy0[1]) / total), 1) if total else None
            self.r["duration_s"] = round(time.time() - t_start, 1)
        self.ratios()
        self.verdicts()
        # Latency distributions (ingest acknowledgement latency), for plots.
        if not self.a.smoke and getattr(self, "latency_files", None):
            for name, f in self.latency_files.items():
                dst = os.path.join(self.a.results_dir, f"ingest-latency-{name}.txt")
                shutil.copyfile(f, dst)
        if not self.a.keep:
            shutil.rmtree(self.work, ignore_errors=True)
        return self.r

    def ratios(self):
        v, b = self.r["figures"].setdefault("vidkeep", {}), self.r["figures"].get("baseline", {})
        ratios = {}
        for k in ("cold_start_ms", "ingest_ms", "list_first_page_ms", "query_ms", "status_ms",
                  "ingest_peak_rss_mib", "idle_rss_mib"):
            if isinstance(v.get(k), dict) and isinstance(b.get(k), dict):
                ratios[k] = b[k]["median"] / v[k]["median"]  # > 1: vidkeep better (smaller)
            elif isinstance(v.get(k), (int, float)) and isinstance(b.get(k), (int, float)) and v[k]:
                ratios[k] = b[k] / v[k]
        self.r["baseline_over_vidkeep"] = ratios

    def verdicts(self):
        v = self.r["figures"]["vidkeep"]
        out = {}
        for k, (op, target) in TARGETS.items():
            val = v.get(k)
            med = val["median"] if isinstance(val, dict) else val
            if med is None:
                out[k] = None
                continue
            met = {"<=": med <= target, "<": med < target, ">=": med >= target}[op]
            out[k] = {"median": med, "target": f"{op} {target}", "met": met}
        self.r["targets"] = out


# ---------------------------------------------------------------- docs
def fmt(x, unit="", digits=None):
    if x is None:
        return "—"
    if digits is None:
        digits = 3 if abs(x) < 1 else (2 if abs(x) < 10 else (1 if abs(x) < 1000 else 0))
    s = f"{x:,.{digits}f}"
    return s + unit


def cell(s, unit="", digits=None):
    if not isinstance(s, dict):
        return fmt(s, unit, digits)
    return f"{fmt(s['median'], unit, digits)} ({fmt(s['min'], '', digits)}–{fmt(s['max'], '', digits)})"


def table(r):
    v, b = r["figures"]["vidkeep"], r["figures"].get("baseline", {})
    ratio = r.get("baseline_over_vidkeep", {})
    tg = r.get("targets", {})

    def met(k):
        t = tg.get(k)
        return "—" if not t else ("met" if t["met"] else "**missed**")

    rows = [
        ("cold start to `hello`, 75k-video DB", "cold_start_ms", " ms", "≤ 2.5 ms", True),
        ("ingest 100k `video` (25% dup), to last ack", "ingest_ms", " ms", "", True),
        ("↳ ingest rate", "ingest_videos_per_s", "/s", "≥ 60,000/s", True),
        ("`list` first page of 50, 75k videos", "list_first_page_ms", " ms", "≤ 0.25 ms", True),
        ("full-text `query` (1 in 1,000), 75k videos", "query_ms", " ms", "≤ 0.4 ms", True),
        ("`status`", "status_ms", " ms", "", True),
        ("peak RSS during the 100k burst (VmHWM)", "ingest_peak_rss_mib", " MiB", "≤ 10 MiB", True),
        ("idle RSS, 75k DB, 1 s after `hello`", "idle_rss_mib", " MiB", "", True),
        ("idle RSS, 1 s after the burst", "idle_rss_after_ingest_mib", " MiB", "", True),
        ("sync drain, 10k videos, 1 ms server (host)", "sync_videos_per_s", "/s", "≥ 2,000/s", False),
        ("↳ CPU per 1,000 videos (host)", "sync_cpu_s_per_1000", " s", "", False),
        ("sync drain with `vidkeep sync` (CLI)", "sync_cli_videos_per_s", "/s", "", False),
        ("↳ CPU per 1,000 videos (CLI)", "sync_cli_cpu_s_per_1000", " s", "", False),
        ("page main-thread CPU, 10k SSE events, with capture", "page_cpu_ms_sse_with_capture", " ms", "", False),
        ("… without capture", "page_cpu_ms_sse_without_capture", " ms", "", False),
        ("↳ added by capture (per round)", "capture_added_pct_sse", " %", "≤ 5%", False),
        ("page main-thread CPU, 10k WebSocket frames, with capture", "page_cpu_ms_ws_with_capture", " ms", "", False),
        ("… without capture", "page_cpu_ms_ws_without_capture", " ms", "", False),
        ("↳ added by capture (per round)", "capture_added_pct_ws", " %", "≤ 5%", False),
        ("page main-thread CPU, 1k polled JSON answers, with capture", "page_cpu_ms_poll_with_capture", " ms", "", False),
        ("… without capture", "page_cpu_ms_poll_without_capture", " ms", "", False),
        ("↳ added by capture (per round)", "capture_added_pct_poll", " %", "≤ 5%", False),
        ("page JS heap after 100k events, with capture", "page_heap_mib_after_events_with_capture", " MiB", "", False),
        ("… without capture", "page_heap_mib_after_events_without_capture", " MiB", "", False),
        ("media download, 1 GiB from a loopback server, to `cached`", "download_mb_per_s", " MB/s", "≥ 300 MB/s", False),
        ("↳ on the wire (server's first to last byte)", "download_wire_mb_per_s", " MB/s", "", False),
        ("↳ last byte to `cached` (fsync, rename, commit)", "download_after_last_byte_ms", " ms", "", False),
        ("↳ host CPU per GB", "download_cpu_s_per_gb", " s", "", False),
        ("↳ peak RSS of the host during the download (VmHWM)", "download_peak_rss_mib", " MiB", "< 20 MiB", False),
        ("↳ of which grown during the download", "download_rss_growth_mib", " MiB", "", False),
    ]
    lines = ["| figure | target | vidkeep: median (min–max) | met? | Python baseline: median (min–max) | baseline ÷ vidkeep |",
             "| --- | --- | --- | --- | --- | --- |"]
    for label, k, unit, target, has_base in rows:
        base = cell(b.get(k), unit) if has_base and k in b else "—"
        rk = ratio.get(k)
        if k == "ingest_videos_per_s" and isinstance(v.get(k), dict) and isinstance(b.get(k), dict):
            rk = b[k]["median"] / v[k]["median"]
        lines.append(f"| {label} | {target or ''} | {cell(v.get(k), unit)} | {met(k) if target else ''} | {base} | "
                     f"{fmt(rk, '×') if rk else ''} |")
    tc = b.get("cold_start_ms")
    triv = r["figures"].get("trivial", {}).get("cold_start_ms")
    if triv:
        lines.append(f"| spawn floor: trivial C host to `hello` | | {cell(triv, ' ms')} | | | |")
    m = r["machine"]
    notes = [
        "",
        f"Run: {r['started_at']} ({r['mode']}, {r['duration_s']} s); host built from {m.get('host_built_from')} "
        f"(checkout at `{m['git_commit']}`), binary {os.path.relpath(m['host_binary'], ROOT)} built "
        f"{m['host_binary_mtime']}.",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['mem_total']} RAM, {m['os']}, Linux {m['kernel']}, "
        f"{m['filesystem']} temp dir; {m['compiler']}; SQLite {m['host_sqlite']} (host), {m['python_sqlite']} "
        f"(Python {m['python']}); {m['chromium']}.",
        f"Load: loadavg before `{r['load_before']}`, after `{r['load_after']}`; the whole machine was "
        f"{r['machine_busy_pct']}% busy during the run (the benchmark's own processes included).",
    ]
    load = max(float(r["load_before"].split()[0]), float(r["load_after"].split()[0]))
    if load > (m.get("cores") or 1):
        # The load average counts the benchmark itself and what ran just
        # before it (the Release build), so it alone cannot say who else ran.
        notes.append(f"**Load above the core count**: load average up to {load:g} on {m['cores']} cores. It "
                     "counts the benchmark's own processes and what ran just before it (the host's Release "
                     "build raises the 1-minute figure); other work shows as a busy share well above the "
                     "benchmark's own. Absolute times may be inflated and max values are preemption "
                     "outliers; compare the medians and the ratios.")
    if r.get("extension_error"):
        notes.append(f"Extension figure not measured: {r['extension_error'][:300]}")
    return "\n".join(lines + notes)


def update_doc(path, r):
    begin, end = "<!-- results:begin -->", "<!-- results:end -->"
    text = open(path).read()
    i, j = text.index(begin) + len(begin), text.index(end)
    open(path, "w").write(text[:i] + "\n" + table(r) + "\n" + text[j:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", required=True)
    ap.add_argument("--built", default="given binaries")
    ap.add_argument("--driver", required=True)
    ap.add_argument("--trivial", required=True)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--results-dir", default=os.path.join(ROOT, "bench/results"))
    ap.add_argument("--doc", default=None, help="regenerate the table in this markdown file")
    ap.add_argument("--workdir", default=None)
    ap.add_argument("--smoke", action="store_true")
    ap.add_argument("--skip-extension", action="store_true")
    ap.add_argument("--keep", action="store_true", help="keep the temporary databases")
    ap.add_argument("--only", default=None, help=f"comma-separated parts of {','.join(PARTS)}; no doc update")
    a = ap.parse_args()
    if a.only:
        a.doc = None
    os.makedirs(a.results_dir, exist_ok=True)
    r = Bench(a).run()
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    name = "smoke.json" if a.smoke else f"full-{stamp}.json"
    if a.only:
        name = f"{'smoke-' if a.smoke else ''}only-{a.only.replace(',', '-')}-{stamp}.json"
    path = os.path.join(a.results_dir, name)
    with open(path, "w") as f:
        json.dump(r, f, indent=1)
    if not a.smoke and not a.only:
        shutil.copyfile(path, os.path.join(a.results_dir, "latest.json"))
    if a.doc:
        update_doc(a.doc, r)
    print(table(r))
    print(f"\nresults: {path}")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""The baseline: a straightforward native messaging host in Python, stdlib
only -- what most people would write. sqlite3 in WAL mode, one commit per
write, canonical-URL dedupe, LIKE search; the same request and answer shapes
as vidkeep-host for hello, video, list, get and status (shared/PROTOCOL.md).
No sync, no config, no caller check. Data root: $VIDKEEP_HOME (vidkeep-baseline.db).
"""
import json
import os
import sqlite3
import struct
import sys
import uuid
from datetime import datetime, timezone
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

SIGNING = {"googleaccessid", "expires", "signature", "sv", "ss", "srt", "sp", "st", "se",
           "sr", "sip", "spr", "sig", "policy", "key-pair-id", "token"}
SIGNING_PREFIXES = ("x-amz-", "x-goog-")
STATES = ("pending", "synced", "failed", "auth_required", "local")


def canonical_url(url):
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError("invalid_url")
    scheme = parts.scheme.lower()
    host = parts.hostname.lower()
    port = parts.port
    netloc = host if port is None or port == (443 if scheme == "https" else 80) else f"{host}:{port}"
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True)
             if k.lower() not in SIGNING and not k.lower().startswith(SIGNING_PREFIXES)]
    query.sort()
    return urlunsplit((scheme, netloc, parts.path or "/", urlencode(query), ""))


def origin_of(url):
    if not url:
        return None
    p = urlsplit(url)
    return f"{p.scheme}://{p.netloc}" if p.scheme and p.netloc else None


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Host:
    def __init__(self, path):
        self.path = path
        self.db = sqlite3.connect(path)
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA busy_timeout=10000")
        self.db.execute("""CREATE TABLE IF NOT EXISTS videos (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            video_id TEXT NOT NULL UNIQUE,
            chat_id TEXT NOT NULL DEFAULT '',
            canonical_url TEXT NOT NULL,
            url TEXT NOT NULL, thumbnail_url TEXT, prompt TEXT, source TEXT,
            page_url TEXT, origin TEXT, observed_at TEXT, meta TEXT,
            sync TEXT NOT NULL, sync_attempts INTEGER NOT NULL DEFAULT 0,
            last_error TEXT, created_at TEXT NOT NULL)""")
        self.db.execute("CREATE INDEX IF NOT EXISTS videos_chat ON videos(chat_id, seq)")
        self.db.commit()

    def record(self, row):
        (seq, video_id, chat_id, canonical, url, thumb, prompt, source, page_url, origin,
         observed_at, meta, sync, attempts, last_error, created_at) = row
        return {"video_id": video_id, "url": url, "thumbnail_url": thumb, "prompt": prompt,
                "chat_id": chat_id or None, "source": source, "page_url": page_url,
                "observed_at": observed_at, "meta": json.loads(meta) if meta else None,
                "origin": origin, "sync": sync, "sync_attempts": attempts,
                "last_error": last_error, "created_at": created_at, "canonical_url": canonical}

    def handle(self, req):
        t = req.get("type")
        if t == "hello":
            return {"host_version": "baseline-0.1", "protocol": 1, "db_path": self.path}
        if t == "video":
            return self.video(req.get("video") or {})
        if t == "list":
            return self.list(req)
        if t == "get":
            row = self.db.execute("SELECT * FROM videos WHERE video_id = ?", (req.get("video_id"),)).fetchone()
            if not row:
                raise LookupError("not_found")
            return {"video": self.record(row), "history": []}
        if t == "status":
            counts = dict(self.db.execute("SELECT sync, count(*) FROM videos GROUP BY sync").fetchall())
            out = {"videos": sum(counts.values()), "host_version": "baseline-0.1", "last_error": None}
            for s in STATES:
                out[s] = counts.get(s, 0)
            return out
        raise NotImplementedError(t)

    def video(self, v):
        url = v.get("url")
        if not isinstance(url, str):
            raise ValueError("bad_request")
        canonical = canonical_url(url)
        chat_id = v.get("chat_id") or ""
        video_id = str(uuid.uuid5(uuid.NAMESPACE_URL, chat_id + "\n" + canonical))
        meta = json.dumps(v["meta"]) if v.get("meta") is not None else None
        row = self.db.execute("SELECT thumbnail_url, prompt, meta, sync FROM videos WHERE video_id = ?",
                              (video_id,)).fetchone()
        if row:
            self.db.execute(
                "UPDATE videos SET url = ?, thumbnail_url = coalesce(thumbnail_url, ?),"
                " prompt = coalesce(prompt, ?), meta = coalesce(meta, ?) WHERE video_id = ?",
                (url, v.get("thumbnail_url"), v.get("prompt"), meta, video_id))
            self.db.commit()
            return {"video_id": video_id, "duplicate": True, "sync": row[3]}
        sync = "pending" if chat_id else "local"
        self.db.execute(
            "INSERT INTO videos (video_id, chat_id, canonical_url, url, thumbnail_url, prompt, source,"
            " page_url, origin, observed_at, meta, sync, created_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (video_id, chat_id, canonical, url, v.get("thumbnail_url"), v.get("prompt"),
             v.get("source", "sse"), v.get("page_url"), origin_of(v.get("page_url")),
             v.get("observed_at"), meta, sync, now()))
        self.db.commit()
        return {"video_id": video_id, "duplicate": False, "sync": sync}

    def list(self, req):
        limit = min(int(req.get("limit") or 50), 500)
        where, args = [], []
        if req.get("cursor"):
            where.append("seq < ?")
            args.append(int(req["cursor"]))
        if req.get("chat_id"):
            where.append("chat_id = ?")
            args.append(req["chat_id"])
        if req.get("query"):
            where.append("prompt LIKE ?")
            args.append("%" + req["query"] + "%")
        if req.get("sync"):
            where.append("sync = ?")
            args.append(req["sync"])
        sql = "SELECT * FROM videos" + (" WHERE " + " AND ".join(where) if where else "")
        rows = self.db.execute(sql + " ORDER BY seq DESC LIMIT ?", args + [limit + 1]).fetchall()
        more = len(rows) > limit
        rows = rows[:limit]
        return {"videos": [self.record(r) for r in rows],
                "next_cursor": str(rows[-1][0]) if more and rows else None}


def main():
    home = os.environ.get("VIDKEEP_HOME") or os.path.expanduser("~/.local/share/vidkeep")
    os.makedirs(home, exist_ok=True)
    host = Host(os.path.join(home, "vidkeep-baseline.db"))
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    while True:
        header = stdin.read(4)
        if len(header) < 4:
            break
        (n,) = struct.unpack("=I", header)
        body = stdin.read(n)
        if len(body) < n:
            break
        rid = None
        try:
            req = json.loads(body)
            rid = req.get("id")
            answer = {"id": rid, "ok": True}
            answer.update(host.handle(req))
        except LookupError:
            answer = {"id": rid, "ok": False, "error": {"code": "not_found", "message": "no such video", "retryable": False}}
        except NotImplementedError as e:
            answer = {"id": rid, "ok": False, "error": {"code": "unsupported", "message": str(e), "retryable": False}}
        except Exception as e:  # noqa: BLE001 -- never crash on input
            answer = {"id": rid, "ok": False, "error": {"code": "bad_request", "message": str(e), "retryable": False}}
        out = json.dumps(answer, separators=(",", ":")).encode()
        stdout.write(struct.pack("=I", len(out)) + out)
        stdout.flush()
    host.db.close()


if __name__ == "__main__":
    main()

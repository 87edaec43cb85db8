import { describe, expect, it } from "vitest";
import { kPageMessages, pageAppSaveAnswer, pageCaptureAnswer } from "./page-answer";

// A config error as the host words it: a local path with the user name.
const secret = "config /home/alice/.config/vidkeep/config.json: unknown key \"x\"";

describe("pageCaptureAnswer", () => {
  it("regression (issue 13, finding 5): a host error's text never reaches the page", () => {
    const kept = pageCaptureAnswer({ ok: false, queued: true, error: { code: "unavailable", message: secret, retryable: true } });
    expect(kept).toEqual({ ok: false, queued: true, error: { code: "unavailable", message: kPageMessages.kept, retryable: true } });
    const failed = pageCaptureAnswer({ ok: false, error: { code: "bad_request", message: secret, retryable: false } });
    expect(failed).toEqual({ ok: false, error: { code: "bad_request", message: kPageMessages.failed, retryable: false } });
    expect(JSON.stringify([kept, failed])).not.toContain("alice");
  });

  it("keeps only stable codes; refusals say so without the reason", () => {
    for (const code of ["internal", "not_found", "timeout", "config_error: /home/alice", 7]) {
      expect(pageCaptureAnswer({ ok: false, error: { code, message: secret, retryable: false } })).toMatchObject({ error: { code: "unavailable" } });
    }
    expect(pageCaptureAnswer({ ok: false, error: { code: "unauthorized", message: "origin http://localhost:8080 is not a configured chat origin" } }))
      .toEqual({ ok: false, error: { code: "unauthorized", message: kPageMessages.refused, retryable: false } });
    expect(pageCaptureAnswer(undefined)).toEqual({ ok: false, error: { code: "unavailable", message: kPageMessages.failed, retryable: false } });
  });

  it("passes a stored video's id, duplicate flag and sync state, nothing else", () => {
    expect(pageCaptureAnswer({ ok: true, video_id: "v-1", duplicate: false, sync: "pending", id: 4, db_path: "/home/alice/v.db" }))
      .toEqual({ ok: true, video_id: "v-1", duplicate: false, sync: "pending" });
  });
});

describe("pageAppSaveAnswer", () => {
  it("regression (issue 13, finding 5): the app's own save answered by the host: code and generic message", () => {
    expect(pageAppSaveAnswer({ id: 3, ok: false, error: { code: "unavailable", message: secret, retryable: true } }))
      .toEqual({ ok: false, error: { code: "unavailable", message: kPageMessages.failed, retryable: true } });
    expect(pageAppSaveAnswer({ ok: true, matched: 2, extra: secret })).toEqual({ ok: true, matched: 2 });
  });
});

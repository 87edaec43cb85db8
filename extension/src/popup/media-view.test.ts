// @vitest-environment happy-dom
import { describe, expect, it } from "vitest";
import type { MediaFile, VideoRecord } from "../shared/protocol";
import { Gallery } from "./gallery";
import { formatBytes, infoText, mediaLabel } from "./media-view";
import { renderCard, type CardContext } from "./render";
import { enT } from "./test-t";

const file = (fields: Partial<MediaFile>): MediaFile => ({
  state: "not_cached", bytes: 0, total: null, percent: null, content_type: null, sha256: null, error: null, ...fields,
});

const record = (media: VideoRecord["media"]): VideoRecord => ({
  video_id: "v1",
  url: "https://cdn.example/v/1.mp4",
  thumbnail_url: "https://cdn.example/v/1.webp",
  prompt: "a cat",
  source: "sse",
  sync: "synced",
  ...(media !== undefined ? { media } : {}),
});

const ctx: CardContext = { t: enT, now: new Date("2026-11-24T10:05:00Z"), lang: "en", selected: false };

describe("media state label", () => {
  it("says not cached / downloading 42 % / cached with size / failed: why", () => {
    expect(mediaLabel(file({}), enT, "en")).toBe("not cached");
    expect(mediaLabel(undefined, enT, "en")).toBe("not cached");
    expect(mediaLabel(file({ state: "downloading", bytes: 420, total: 1000, percent: 42 }), enT, "en")).toBe("downloading 42 %");
    expect(mediaLabel(file({ state: "cached", bytes: 5242880, total: 5242880, percent: 100 }), enT, "en")).toBe("cached · 5.2 MB");
    expect(mediaLabel(file({ state: "failed", error: "refused: the server answered text/html, not a video" }), enT, "en"))
      .toBe("failed: refused: the server answered text/html, not a video");
  });

  it("handles unknown sizes and rounding", () => {
    // percent missing: from bytes/total; never 100 % before it is cached
    expect(mediaLabel(file({ state: "downloading", bytes: 1, total: 3 }), enT, "en")).toBe("downloading 33 %");
    expect(mediaLabel(file({ state: "downloading", bytes: 999, total: 1000, percent: 99.9 }), enT, "en")).toBe("downloading 99 %");
    expect(mediaLabel(file({ state: "downloading", bytes: 1_500_000 }), enT, "en")).toBe("downloading 1.5 MB");
    expect(mediaLabel(file({ state: "downloading" }), enT, "en")).toBe("downloading");
    expect(mediaLabel(file({ state: "cached", bytes: 0 }), enT, "en")).toBe("cached");
    expect(mediaLabel(file({ state: "failed" }), enT, "en")).toBe("failed");
  });

  it("formats sizes and probe info", () => {
    expect(formatBytes(999, "en")).toBe("1 kB");
    expect(formatBytes(1500, "ru")).toBe("1,5 кБ");
    expect(formatBytes(1_234_567_890, "en")).toBe("1.2 GB");
    expect(infoText({ duration_s: 5, width: 1280, height: 720, video_codec: "h264", audio_codec: "aac", container: "mp4" })).toBe("1280×720 · h264");
    expect(infoText({ duration_s: null, width: null, height: null, video_codec: "vp9", audio_codec: null, container: null })).toBe("vp9");
    expect(infoText(null)).toBe("");
  });
});

describe("card media row", () => {
  const media = (fields: Partial<MediaFile>, extra: Partial<NonNullable<VideoRecord["media"]>> = {}): NonNullable<VideoRecord["media"]> => ({
    video: file(fields), thumbnail: null, info: null, pinned: false, last_viewed_at: null, ...extra,
  });

  it("shows the state, the probe info with duration, pin and fetch again", () => {
    const card = renderCard(document, record(media({ state: "failed", error: "HTTP 404" }, {
      info: { duration_s: 65.2, width: 1280, height: 720, video_codec: "h264", audio_codec: "aac", container: "mp4" },
    })), ctx);
    const label = card.querySelector<HTMLElement>("[data-media-state]")!;
    expect(label.dataset["mediaState"]).toBe("failed");
    expect(label.textContent).toBe("failed: HTTP 404");
    expect(label.getAttribute("title")).toBe("HTTP 404");
    expect(card.querySelector(".media .info")!.textContent).toBe("1280×720 · h264");
    expect(card.querySelector(".media .info")!.getAttribute("title")).toBe("1:05 · 1280×720 · h264 / aac · mp4");
    expect(card.querySelector(".duration")!.textContent).toBe("1:05");
    expect(card.querySelector("[data-action='pin']")!.getAttribute("aria-pressed")).toBe("false");
    expect(card.querySelector("[data-action='fetch']")).not.toBeNull();
  });

  it("offers no fetch again for a cached copy and shows it pinned", () => {
    const card = renderCard(document, record(media({ state: "cached", bytes: 10, total: 10 }, { pinned: true })), ctx);
    expect(card.querySelector("[data-action='fetch']")).toBeNull();
    const pin = card.querySelector("[data-action='pin']")!;
    expect(pin.getAttribute("aria-pressed")).toBe("true");
    expect(pin.textContent).toBe("Pinned");
  });

  it("has no media row for hosts without the cache", () => {
    const card = renderCard(document, record(undefined), ctx);
    expect(card.querySelector(".media")).toBeNull();
  });

  it("puts a hostile host error into text only", () => {
    const card = renderCard(document, record(media({ state: "failed", error: "<img src=x onerror=alert(1)>" })), ctx);
    expect(card.querySelector("img[src='x']")).toBeNull();
    expect(card.querySelector("[data-media-state]")!.textContent).toBe("failed: <img src=x onerror=alert(1)>");
  });
});

describe("live update from media_state", () => {
  it("changes only the media row of that card", async () => {
    const g = new Gallery(async () => ({ id: 1, ok: true, videos: [record(media0()), { ...record(undefined), video_id: "v2" }], next_cursor: null }));
    await g.reset();
    document.body.replaceChildren();
    const list = document.createElement("ul");
    list.append(...g.videos.map((v) => renderCard(document, v, ctx)));
    document.body.append(list);
    const card = list.querySelector<HTMLLIElement>("li.card[data-id='v1']")!;
    const img = card.querySelector("img")!;
    const other = list.querySelector("li.card[data-id='v2']")!;
    const pin = card.querySelector<HTMLButtonElement>("[data-action='pin']")!;
    pin.focus();

    const { patchMedia } = await import("./media-view");
    const video = g.updateMedia({ type: "mediaState", video_id: "v1", kind: "video", state: "downloading", bytes: 420, total: 1000, percent: 42, error: null })!;
    patchMedia(card, video, enT, "en");
    expect(card.querySelector("[data-media-state]")!.textContent).toBe("downloading 42 %");
    expect(card.querySelector<HTMLElement>("[data-media-state]")!.dataset["percent"]).toBe("42");
    // the same card, thumbnail and neighbour: nothing else was drawn again
    expect(list.querySelector("li.card[data-id='v1']")).toBe(card);
    expect(card.querySelector("img")).toBe(img);
    expect(list.querySelector("li.card[data-id='v2']")).toBe(other);
    expect((document.activeElement as HTMLElement).dataset["action"]).toBe("pin");

    patchMedia(card, g.updateMedia({ type: "mediaState", video_id: "v1", kind: "video", state: "cached", bytes: 1000, total: 1000, percent: 100, error: null })!, enT, "en");
    expect(card.querySelector("[data-media-state]")!.textContent).toBe("cached · 1 kB");
    expect(g.videos[0].media!.video).toMatchObject({ state: "cached", content_type: "video/mp4" }); // kept from the record
    expect(g.updateMedia({ type: "mediaState", video_id: "nope", kind: "video", state: "cached", bytes: 1, total: 1, percent: 100, error: null })).toBeUndefined();
  });
});

function media0(): NonNullable<VideoRecord["media"]> {
  return { video: file({ content_type: "video/mp4" }), thumbnail: null, info: null, pinned: false, last_viewed_at: null };
}

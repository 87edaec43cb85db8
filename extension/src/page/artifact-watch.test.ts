// @vitest-environment happy-dom
import { afterEach, describe, expect, it, vi } from "vitest";
import { watchArtifacts, type ArtifactWatch } from "./artifact-watch";
import { flush } from "./test-window";

let watch: ArtifactWatch | undefined;
afterEach(() => {
  watch?.stop();
  document.body.replaceChildren();
});

function start(selector = '[data-testid="artifact"]') {
  const seen: Array<[string, string | undefined]> = [];
  watch = watchArtifacts(document, () => selector, (url, poster) => seen.push([url, poster]));
  return seen;
}

describe("watchArtifacts", () => {
  it("sees a video that appears inside the artifact panel", async () => {
    const seen = start();
    const panel = document.createElement("div");
    panel.dataset["testid"] = "artifact";
    panel.innerHTML = '<div><video src="https://cdn.example/v/1.mp4" poster="https://cdn.example/v/1.webp"></video></div>';
    document.body.append(panel);
    await vi.waitFor(() => expect(seen).toEqual([["https://cdn.example/v/1.mp4", "https://cdn.example/v/1.webp"]]));
  });

  it("sees a new src on a video already there, and a <source> child", async () => {
    const seen = start();
    const panel = document.createElement("div");
    panel.dataset["testid"] = "artifact";
    const video = document.createElement("video");
    panel.append(video);
    document.body.append(panel);
    await flush();
    expect(seen).toEqual([]);
    video.setAttribute("src", "https://cdn.example/v/2.mp4");
    await vi.waitFor(() => expect(seen.length).toBe(1));
    const source = document.createElement("source");
    source.setAttribute("src", "https://cdn.example/v/3.webm");
    const other = document.createElement("video");
    other.append(source);
    panel.append(other);
    await vi.waitFor(() => expect(seen.length).toBe(2));
    await flush();
    expect(seen.map((s) => s[0])).toEqual(["https://cdn.example/v/2.mp4", "https://cdn.example/v/3.webm"]);
  });

  it("ignores videos outside the panel and non-http sources", async () => {
    const seen = start();
    document.body.innerHTML = '<video src="https://cdn.example/outside.mp4"></video>' +
      '<div data-testid="artifact"><video src="blob:https://chat.example/1"></video></div>';
    await flush();
    expect(seen).toEqual([]);
  });

  it("follows a configured selector, and an invalid one matches nothing", async () => {
    const seen = start(".my-panel");
    document.body.innerHTML = '<section class="my-panel"><video src="https://cdn.example/p.mp4"></video></section>';
    await vi.waitFor(() => expect(seen.map((s) => s[0])).toEqual(["https://cdn.example/p.mp4"]));
    watch!.stop();
    const none = start("[[[");
    document.body.innerHTML = '<section class="my-panel"><video src="https://cdn.example/q.mp4"></video></section>';
    await flush();
    expect(none).toEqual([]);
  });

  it("rescan finds videos already in the document", () => {
    document.body.innerHTML = '<div data-testid="artifact"><video src="https://cdn.example/old.mp4"></video></div>';
    const seen = start();
    watch!.rescan();
    expect(seen.map((s) => s[0])).toEqual(["https://cdn.example/old.mp4"]);
  });

  it("sees inline videos in the message list as inline, the panel's as artifact", async () => {
    const seen: Array<[string, string]> = [];
    watch = watchArtifacts(document, [
      { source: "artifact", selector: () => '[data-testid="artifact"]' },
      { source: "inline", selector: () => '[data-testid="message-assistant"], [data-role="assistant"]' },
    ], (url, _poster, source) => seen.push([source, url]));
    document.body.innerHTML = '<div data-testid="message-assistant"><p>here</p></div>' +
      '<div data-role="user"><video src="https://cdn.example/user.mp4"></video></div>';
    await flush();
    document.querySelector('[data-testid="message-assistant"]')!.insertAdjacentHTML("beforeend",
      '<video src="https://cdn.example/inline.mp4"></video>');
    const panel = document.createElement("div");
    panel.dataset["testid"] = "artifact";
    panel.innerHTML = '<video src="https://cdn.example/panel.mp4"></video>';
    document.body.append(panel);
    await vi.waitFor(() => expect(seen).toEqual([
      ["inline", "https://cdn.example/inline.mp4"], ["artifact", "https://cdn.example/panel.mp4"],
    ]));
  });

  it("rescan after a selector change finds inline videos already there", () => {
    let inline = ".nothing";
    const seen: Array<[string, string]> = [];
    document.body.innerHTML = '<article class="msg"><video src="https://cdn.example/old-inline.mp4"></video></article>';
    watch = watchArtifacts(document, [
      { source: "artifact", selector: () => '[data-testid="artifact"]' },
      { source: "inline", selector: () => inline },
    ], (url, _poster, source) => seen.push([source, url]));
    watch.rescan();
    expect(seen).toEqual([]);
    inline = "article.msg";
    watch.rescan();
    expect(seen).toEqual([["inline", "https://cdn.example/old-inline.mp4"]]);
  });
});

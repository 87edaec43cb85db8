import { describe, expect, it } from "vitest";
import { holdOutcome } from "./chat-hold";

const pattern = "/chat/([^/?#]+)";
const hold = { tabId: 7, origin: "https://chat.example", pageUrl: "https://chat.example/" };
const chat = "3f2c9a1e-aaaa-4bbb-8ccc-000000000001";

describe("holdOutcome", () => {
  it("releases with the chat id the new chat's address gained (history.replaceState)", () => {
    expect(holdOutcome(hold, `https://chat.example/chat/${chat}`, pattern))
      .toEqual({ release: { chatId: chat, pageUrl: `https://chat.example/chat/${chat}` } });
  });

  it("keeps waiting while the tab is still the new chat", () => {
    expect(holdOutcome(hold, "https://chat.example/", pattern)).toBe("keep");
    expect(holdOutcome(hold, "https://chat.example/?model=veo#x", pattern)).toBe("keep");
  });

  it("releases without a chat id when the tab left the origin or the page, or cannot be seen", () => {
    expect(holdOutcome(hold, "https://other.example/chat/x", pattern)).toEqual({ release: null });
    expect(holdOutcome(hold, "https://chat.example/settings", pattern)).toEqual({ release: null });
    expect(holdOutcome(hold, undefined, pattern)).toEqual({ release: null });
    // another origin's chat id is not this chat's
    expect(holdOutcome(hold, `http://chat.example/chat/${chat}`, pattern)).toEqual({ release: null });
  });
});

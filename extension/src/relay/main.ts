// Entry of relay.js (ISOLATED world, document_start).
import { sendMessage } from "../shared/browser-api";
import { installRelay } from "./relay";

try {
  // `window`, not `globalThis`: in a Firefox content script the global is a
  // sandbox, and only `window` is what `event.source` is compared against.
  installRelay(window, (message) => sendMessage(message));
} catch (err) {
  console.warn("[vidkeep] relay: not installed:", String(err));
}

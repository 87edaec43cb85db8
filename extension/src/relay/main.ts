// Entry of relay.js (ISOLATED world, document_start).
import { sendMessage } from "../shared/browser-api";
import { installRelay } from "./relay";

try {
  installRelay(globalThis, (message) => sendMessage(message));
} catch (err) {
  console.warn("[vidkeep] relay: not installed:", String(err));
}

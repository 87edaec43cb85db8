// Entry of page.js (MAIN world, document_start). Guarded: a second injection
// finds the first one's mark and does nothing.
import { installPage } from "./install";

try {
  installPage(globalThis);
} catch (err) {
  try {
    console.warn("[vidkeep] page: not installed:", String(err));
  } catch {
    // nothing more we can do without disturbing the page
  }
}

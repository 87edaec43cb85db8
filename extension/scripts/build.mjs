// Builds dist/chromium and dist/firefox from one source: bundles the five
// entry points with esbuild, copies static files, writes per-browser
// manifests from one template, draws the icons. Exits non-zero on failure.
import { build } from "esbuild";
import { cp, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { drawIcon } from "./icons.mjs";
import { identityFromEnv, kIconSizes, manifestFor } from "./manifest.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
// VIDKEEP_DIST_DIR: the installer builds an install's own identity
// elsewhere, so extension/dist (the tests' development build) stays as it is.
const dist = process.env.VIDKEEP_DIST_DIR || join(root, "dist");
const pkg = JSON.parse(await readFile(join(root, "package.json"), "utf8"));

const entries = {
  "page": "src/page/main.ts",
  "relay": "src/relay/main.ts",
  "sw": "src/background/main.ts",
  "popup": "src/popup/main.ts",
  "options": "src/options/main.ts",
};

async function buildFor(browser) {
  const out = join(dist, browser);
  await rm(out, { recursive: true, force: true });
  await mkdir(join(out, "icons"), { recursive: true });
  await build({
    entryPoints: Object.fromEntries(Object.entries(entries).map(([name, file]) => [name, join(root, file)])),
    outdir: out,
    bundle: true,
    format: "iife",
    target: browser === "firefox" ? ["firefox128"] : ["chrome116"],
    platform: "browser",
    sourcemap: false,
    minify: false,
    legalComments: "none",
    charset: "utf8",
    logLevel: "warning",
    define: { "process.env.NODE_ENV": '"production"' },
  });
  await cp(join(root, "static"), out, { recursive: true });
  if (browser !== "chromium") await rm(join(out, "managed_schema.json"), { force: true });
  for (const size of kIconSizes) await writeFile(join(out, "icons", `icon-${size}.png`), drawIcon(size));
  await writeFile(join(out, "manifest.json"), `${JSON.stringify(manifestFor(browser, pkg.version, identityFromEnv(process.env)), null, 2)}\n`);
  console.log(`built ${browser} -> ${out}`);
}

try {
  await buildFor("chromium");
  await buildFor("firefox");
} catch (err) {
  console.error(err);
  process.exit(1);
}

import { defineConfig } from "vitest/config";

// Unit tests sit next to their code (foo.ts + foo.test.ts). DOM tests opt in
// to happy-dom with a `// @vitest-environment happy-dom` first line.
export default defineConfig({
  test: {
    include: ["src/**/*.test.ts", "scripts/**/*.test.mjs"],
    environment: "node",
    restoreMocks: true,
  },
});

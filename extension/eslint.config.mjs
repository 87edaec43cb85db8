// ESLint 9 (flat config) with typescript-eslint's type-checked recommended
// rules, run by `npm run check` (`npm run lint`). The adjustments below are
// few and each says why; a rule is never switched off to hide a finding.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  { ignores: ["dist/", "node_modules/", "web-ext-artifacts/"] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      // `_name` marks a parameter or destructured field left out on purpose
      // (tsc's noUnusedParameters follows the same convention).
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_", varsIgnorePattern: "^_", ignoreRestSiblings: true }],
      // A `let` that a closure reads before its one assignment (thumbnails.ts)
      // would be in its temporal dead zone as a `const`.
      "prefer-const": ["error", { ignoreReadBeforeAssign: true }],
    },
  },
  {
    // The build scripts run in Node and are not part of the TypeScript project.
    files: ["**/*.mjs"],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: { ...tseslint.configs.disableTypeChecked.languageOptions, globals: globals.node },
  },
  {
    files: ["src/**/*.test.ts", "src/**/test-*.ts", "src/**/fake-*.ts"],
    rules: {
      // Fakes stand in for promise-returning browser APIs: their `async`
      // bodies have nothing to await.
      "@typescript-eslint/require-await": "off",
      // Tests keep native methods (`window.fetch`, `EventTarget.prototype.
      // addEventListener`) to check that wrappers are installed and put back;
      // they compare them, never call them unbound.
      "@typescript-eslint/unbound-method": "off",
      // vitest's asymmetric matchers (`expect.any`, `expect.objectContaining`)
      // and `JSON.parse` are typed `any`; the fake `chrome` namespaces are
      // deliberately loose. Production code keeps all four rules.
      "@typescript-eslint/no-unsafe-assignment": "off",
      "@typescript-eslint/no-unsafe-argument": "off",
      "@typescript-eslint/no-unsafe-member-access": "off",
      "@typescript-eslint/no-unsafe-return": "off",
    },
  },
);

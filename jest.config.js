/**
 * Five projects: `unit` (offline, Pulumi mocks; `npm test`), `integration` (AWS SDK against a
 * deployed or emulated stack's outputs; `npm run test:integration`, tools/emulator/run.sh),
 * `apiserver` (a real kube-apiserver on loopback; tools/k8s/test.sh), `kyverno` (the Kyverno CLI
 * on tap's policies; tools/kyverno/test.sh) and `prometheus` (Prometheus's and Alertmanager's
 * parsers on tap's alerts; tools/prometheus/test.sh). ts-jest only transpiles here
 * (isolatedModules in tsconfig.json); `npm run typecheck` (tsc --noEmit) is the type check, run first in .ci/run.
 */
const tsJest = ["ts-jest", { diagnostics: false }];

/** @type {import('jest').Config} */
module.exports = {
  // A whole-stack synthesis takes 1-3 s alone and longer on a busy 2-core CI machine.
  testTimeout: 60000,
  // Every core (jest's default leaves one for itself: a single worker on a 2-core machine).
  maxWorkers: "100%",
  projects: [
    {
      displayName: "unit",
      testEnvironment: "node",
      roots: ["<rootDir>/test/unit"],
      setupFiles: ["<rootDir>/test/helpers/setup.ts"],
      testMatch: ["**/*.test.ts"],
      transform: { "^.+\\.ts$": tsJest },
      // Loaded on first use instead of in every test file (test/helpers/lazy/lazy.js).
      moduleNameMapper: {
        "^@npmcli/arborist$": "<rootDir>/test/helpers/lazy/arborist.js",
        "^\\.\\.?/(\\.\\./)*typescript-shim$": "<rootDir>/test/helpers/lazy/typescript-shim.js",
      },
    },
    {
      displayName: "integration",
      testEnvironment: "node",
      roots: ["<rootDir>/test/integration"],
      testMatch: ["**/*.test.ts"],
      transform: { "^.+\\.ts$": tsJest },
    },
    {
      // A real kube-apiserver on loopback (tools/k8s/test.sh); skips without its kubeconfig.
      displayName: "apiserver",
      testEnvironment: "node",
      roots: ["<rootDir>/test/apiserver"],
      setupFiles: ["<rootDir>/test/helpers/setup.ts"],
      testMatch: ["**/*.test.ts"],
      transform: { "^.+\\.ts$": tsJest },
    },
    {
      // The Kyverno CLI (tools/kyverno/test.sh builds it) applying tap's policies, offline.
      displayName: "kyverno",
      testEnvironment: "node",
      roots: ["<rootDir>/test/kyverno"],
      setupFiles: ["<rootDir>/test/helpers/setup.ts"],
      testMatch: ["**/*.test.ts"],
      transform: { "^.+\\.ts$": tsJest },
    },
    {
      // Prometheus's rule parser and Alertmanager's config loader (tools/prometheus/test.sh
      // builds them) on the alerts tap hands to Amazon Managed Service for Prometheus, offline.
      displayName: "prometheus",
      testEnvironment: "node",
      roots: ["<rootDir>/test/prometheus"],
      setupFiles: ["<rootDir>/test/helpers/setup.ts"],
      testMatch: ["**/*.test.ts"],
      transform: { "^.+\\.ts$": tsJest },
    },
  ],
};

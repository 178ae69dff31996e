/**
 * Three layers, selectable by name (`jest --selectProjects unit|e2e|integration`):
 * - unit: specs beside the code (`src/**\/*.spec.ts`), pure rules, no engines, seconds; also the
 *   specs of the test harness itself (`test/support/**\/*.spec.ts`, e.g. the contract check);
 * - e2e: HTTP through the real app, once per available profile (`test/e2e`);
 * - integration: real MySQL/Redis/Kafka, broker restarts, load (`test/integration`).
 * e2e and integration choose their engines once per run (test/support/global-setup.ts): engines
 * from env, else testcontainers where Docker answers, else the embedded profile with real-engine
 * suites skipped (or failed, with TEST_REQUIRE_ENGINES=1). Files run one at a time: some suites
 * stop and start engines, and the 2-core machines this runs on gain nothing from parallel workers.
 */
const shared = {
  rootDir: '.',
  testEnvironment: 'node',
  transform: {
    '^.+\\.ts$': 'ts-jest',
    // ES-module-only dependencies (see the transformer); everything else passes through.
    '^.+\\.m?js$': '<rootDir>/test/support/esm-to-cjs.js',
  },
  transformIgnorePatterns: [],
};
const withEngines = {
  ...shared,
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  setupFiles: ['<rootDir>/test/support/kafkajs-fix.ts'],
};

module.exports = {
  projects: [
    {
      ...shared,
      displayName: 'unit',
      testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/support/**/*.spec.ts'],
      // Every module's problem codes, as the app has them (the file says why).
      setupFiles: ['<rootDir>/test/support/problem-catalogue.ts'],
    },
    { ...withEngines, displayName: 'e2e', testMatch: ['<rootDir>/test/e2e/**/*.test.ts'] },
    { ...withEngines, displayName: 'integration', testMatch: ['<rootDir>/test/integration/**/*.test.ts'] },
  ],
  maxWorkers: 1,
  testTimeout: 120_000,
  verbose: true,
  collectCoverageFrom: ['src/**/*.ts', '!src/main.ts', '!src/**/*.spec.ts', '!src/**/migrations/**'],
  coverageReporters: ['text-summary', 'lcov'],
};

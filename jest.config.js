/**
 * One run, one choice of engines (test/support/global-setup.ts): engines from env, else
 * testcontainers where Docker answers, else the embedded profile with real-engine suites skipped
 * (or failed, with TEST_REQUIRE_ENGINES=1). Files run one at a time: some suites stop and start
 * engines, and the 2-core machines this runs on gain nothing from parallel workers.
 */
module.exports = {
  rootDir: '.',
  testEnvironment: 'node',
  testMatch: ['<rootDir>/src/**/*.spec.ts', '<rootDir>/test/**/*.test.ts'],
  transform: { '^.+\\.ts$': 'ts-jest' },
  globalSetup: '<rootDir>/test/support/global-setup.ts',
  globalTeardown: '<rootDir>/test/support/global-teardown.ts',
  maxWorkers: 1,
  // kafkajs leaves one socket open when a consumer that lived through a broker restart leaves its
  // group on disconnect (ConsumerGroup.leave opens a fresh coordinator connection); exit anyway.
  forceExit: true,
  testTimeout: 120_000,
  verbose: true,
};

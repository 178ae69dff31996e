/**
 * The tests Stryker runs against each mutant (stryker.config.mjs, `npm run test:mutation`): the unit
 * layer and the e2e suites that exercise the rules under mutation, on the embedded profile only
 * (test/support/mutation-setup.ts). One flat project, not jest.config.js's three: Stryker's per-test
 * coverage wraps the top-level test environment, which a project does not inherit.
 */
const layers = require('./jest.config.js');

const unit = layers.projects.find((project) => project.displayName === 'unit');
const e2e = layers.projects.find((project) => project.displayName === 'e2e');

// The e2e suites that reach the files under mutation (HTTP through the real app).
const E2E_SUITES = ['commerce', 'coupons', 'order-races', 'idempotency-replay'];

module.exports = {
  ...unit,
  displayName: undefined,
  testMatch: [...unit.testMatch, ...E2E_SUITES.map((name) => `<rootDir>/test/e2e/${name}.test.ts`)],
  setupFiles: [...unit.setupFiles, ...e2e.setupFiles],
  globalSetup: '<rootDir>/test/support/mutation-setup.ts',
  maxWorkers: 1,
  testTimeout: layers.testTimeout,
};

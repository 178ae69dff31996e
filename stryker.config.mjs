// @ts-check
/**
 * Mutation testing (`npm run test:mutation`, docs/testing.md): Stryker changes the rules that move
 * money and coupons one mutant at a time and runs the tests that cover each change; a mutant no test
 * notices is a hole in the tests.
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  mutate: [
    'src/modules/coupon/discount.ts',
    'src/modules/coupon/issuance/batch-decision.ts',
    'src/modules/coupon/issuance/coupon-ledger.ts',
    'src/modules/coupon/issuance/issue-rules.ts',
    'src/modules/order/order-transitions.ts',
    'src/modules/order/order.service.ts',
    'src/modules/order/pending-order-sweeper.ts',
    'src/modules/point/point.service.ts',
    'src/platform/idempotency/idempotency.service.ts',
    'src/platform/outbox/backoff.ts',
    'src/platform/outbox/outbox-relay.ts',
  ],
  testRunner: 'jest',
  jest: { projectType: 'custom', configFile: 'jest.mutation.config.js', enableFindRelatedTests: false },
  checkers: ['typescript'],
  tsconfigFile: 'tsconfig.json',
  coverageAnalysis: 'perTest',
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/index.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  // Two cores shared with the engines: one test runner and the type checker.
  concurrency: 1,
  // Added to each mutant's expected test time: a mutant that loops (a relay or sweep that never waits) is cut off soon.
  timeoutMS: 10_000,
  thresholds: { high: 90, low: 80, break: null },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};

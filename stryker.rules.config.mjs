// @ts-check
import full from './stryker.config.mjs';

/**
 * `npm run test:mutation:rules`: the pure rules (and the outbox relay's row states) against the unit
 * layer alone (a first run took 42 minutes here, an incremental one over two changed files 12). The full run (stryker.config.mjs) also mutates the services the e2e suites
 * cover; Jest cannot stop at a mutant's first failing test, so each of those mutants costs its e2e
 * suites' whole run (docs/testing.md).
 * @type {import('@stryker-mutator/api/core').PartialStrykerOptions}
 */
export default {
  ...full,
  mutate: [
    'src/modules/coupon/discount.ts',
    'src/modules/coupon/issuance/batch-decision.ts',
    'src/modules/coupon/issuance/issue-rules.ts',
    'src/modules/order/order-transitions.ts',
    'src/platform/outbox/backoff.ts',
    'src/platform/outbox/outbox-relay.ts',
  ],
  jest: { ...full.jest, config: { testMatch: ['<rootDir>/src/**/*.spec.ts'] } },
  incrementalFile: 'reports/stryker-incremental-rules.json',
  htmlReporter: { fileName: 'reports/mutation-rules/index.html' },
  jsonReporter: { fileName: 'reports/mutation-rules/mutation.json' },
};

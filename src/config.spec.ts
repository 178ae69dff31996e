import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { loadAppConfig, MODULE_CONFIG } from './config';
import { type ConfigSlice } from './platform/config/config-slice';

const MODULES = join(__dirname, 'modules');

describe('the app configuration', () => {
  it("runs the embedded profile with every module's defaults when nothing is set", () => {
    const config = loadAppConfig({});
    expect(config.profile).toBe('embedded');
    expect(config.coupon.issueStrategy).toBe('lock');
    expect(config.order.pendingTtlSeconds).toBe(900);
    expect(config.productCache).toEqual({ maxEntries: 10_000, ttlMs: 5000 });
    expect(config.admin).toEqual({ email: undefined, password: undefined });
  });

  it("validates every module's slice", () => {
    const slices = readdirSync(MODULES, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .flatMap(
        ({ name: module }) =>
          readdirSync(join(MODULES, module))
            .filter((file) => file.endsWith('-config.ts'))
            .flatMap((file) => Object.values(require(join(MODULES, module, file)) as Record<string, ConfigSlice>)), // eslint-disable-line @typescript-eslint/no-require-imports
      );
    expect(slices.length).toBeGreaterThan(0);
    expect(slices.filter((slice) => !(MODULE_CONFIG as readonly ConfigSlice[]).includes(slice)).map((slice) => slice.key)).toEqual([]);
  });
});

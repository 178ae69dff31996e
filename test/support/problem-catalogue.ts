import { readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Unit specs build a module's classes without its Nest module, and in the app it is the Nest
 * module that brings the module's problem codes into the catalogue (each `*.module.ts` loads its
 * `-errors.ts`). Loading every module's `-errors.ts` before each spec file gives the specs the app's
 * catalogue, so `new DomainError('COUPON_BUSY')` works there as it does in the app.
 * (src/problem-catalog-docs.spec.ts checks that the app itself loads every one.)
 */
const MODULES = join(__dirname, '..', '..', 'src', 'modules');

for (const module of readdirSync(MODULES, { withFileTypes: true }).filter((entry) => entry.isDirectory())) {
  for (const file of readdirSync(join(MODULES, module.name)).filter((name) => name.endsWith('-errors.ts'))) {
    require(join(MODULES, module.name, file)); // eslint-disable-line @typescript-eslint/no-require-imports
  }
}

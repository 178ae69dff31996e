import { type SchemaPart } from '../../platform/database/schema-part';
import { PointBalance, PointHistory } from './entities/point.entities';

/**
 * The point module's tables, `point_balances` and `point_history`: their entities and its
 * migrations, oldest first. Both were created by the platform's CommerceCore1732500000000, which
 * predates module-owned migrations; a change to them is a migration in this module's `migrations/` folder.
 */
export const POINT_SCHEMA: SchemaPart = {
  entities: [PointBalance, PointHistory],
  migrations: [],
};

import { IdempotencyKey } from '../idempotency/idempotency-key.entity';
import { OutboxEvent } from '../outbox/outbox-event.entity';
import { CommerceCore1732500000000 } from './migrations/1732500000000-commerce-core';
import { OutboxKeyIndex1732600000000 } from './migrations/1732600000000-outbox-key-index';
import { DatabaseIdentity1732800000000 } from './migrations/1732800000000-database-identity';
import { type SchemaPart } from './schema-part';

/**
 * The platform's tables: `outbox_events`, `idempotency_keys`, `database_identity` (its entity is
 * DatabaseModule's own). CommerceCore1732500000000 also created the first tables of the product,
 * point, coupon and order modules, before each module owned its migrations; it stays here as it
 * ran on deployed databases (docs/architecture.md, "Tables and their owners").
 */
export const PLATFORM_SCHEMA: SchemaPart = {
  entities: [OutboxEvent, IdempotencyKey],
  migrations: [CommerceCore1732500000000, OutboxKeyIndex1732600000000, DatabaseIdentity1732800000000],
};

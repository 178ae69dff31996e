import { type SchemaPart } from '../../platform/database/schema-part';
import { Order, OrderItem } from './entities/order.entities';

/**
 * The order module's tables, `orders` and `order_items`: their entities and its migrations, oldest
 * first. Both were created by the platform's CommerceCore1732500000000, which predates module-owned
 * migrations; a change to them is a migration in this module's `migrations/` folder.
 */
export const ORDER_SCHEMA: SchemaPart = {
  entities: [Order, OrderItem],
  migrations: [],
};

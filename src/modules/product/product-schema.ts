import { type SchemaPart } from '../../platform/database/schema-part';
import { Product } from './entities/product.entity';

/**
 * The product module's table, `products`: its entity and its migrations, oldest first. The table was
 * created by the platform's CommerceCore1732500000000, which predates module-owned migrations; a
 * change to it is a migration in this module's `migrations/` folder.
 */
export const PRODUCT_SCHEMA: SchemaPart = {
  entities: [Product],
  migrations: [],
};

import { type SchemaPart } from '../../platform/database/schema-part';
import { User } from './entities/user.entity';
import { Users1732400000000 } from './migrations/1732400000000-users';

/** The user module's table, `users`: its entity and its migrations, oldest first. */
export const USER_SCHEMA: SchemaPart = {
  entities: [User],
  migrations: [Users1732400000000],
};

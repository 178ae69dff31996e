import { Users1732400000000 } from './1732400000000-users';
import { CommerceCore1732500000000 } from './1732500000000-commerce-core';
import { OutboxKeyIndex1732600000000 } from './1732600000000-outbox-key-index';

/** Every migration, oldest first. Add new ones at the end. */
export const MIGRATIONS = [Users1732400000000, CommerceCore1732500000000, OutboxKeyIndex1732600000000];

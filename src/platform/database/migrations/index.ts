import { Users1732400000000 } from './1732400000000-users';

/** Every migration, oldest first. Add new ones at the end. */
export const MIGRATIONS = [Users1732400000000];

import { Users1732400000000 } from './1732400000000-users';
import { CommerceCore1732500000000 } from './1732500000000-commerce-core';
import { OutboxKeyIndex1732600000000 } from './1732600000000-outbox-key-index';
import { CouponIssueRequests1732700000000 } from './1732700000000-coupon-issue-requests';
import { DatabaseIdentity1732800000000 } from './1732800000000-database-identity';

/** Every migration, oldest first. Add new ones at the end. */
export const MIGRATIONS = [
  Users1732400000000,
  CommerceCore1732500000000,
  OutboxKeyIndex1732600000000,
  CouponIssueRequests1732700000000,
  DatabaseIdentity1732800000000,
];

import { Column, Entity, Index, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';
import { bigintAsNumber } from '../../../platform/database/columns';

@Entity('point_balances')
export class PointBalance {
  @PrimaryColumn({ name: 'user_id', type: 'integer' })
  userId!: number;

  @Column({ type: 'bigint', transformer: bigintAsNumber })
  balance!: number;

  @Column({ name: 'updated_at', type: 'datetime', precision: 3 })
  updatedAt!: Date;
}

export type PointHistoryType = 'CHARGE' | 'USE' | 'REFUND';

/** The ledger: one row per balance change, written in the same transaction as the change. */
@Entity('point_history')
@Index('ix_point_history_user_id', ['userId', 'id'])
export class PointHistory {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'user_id', type: 'integer' })
  userId!: number;

  @Column({ type: 'varchar', length: 16 })
  type!: PointHistoryType;

  /** Signed: positive for CHARGE and REFUND, negative for USE, so the history sums to the balance. */
  @Column({ type: 'bigint', transformer: bigintAsNumber })
  amount!: number;

  @Column({ name: 'balance_after', type: 'bigint', transformer: bigintAsNumber })
  balanceAfter!: number;

  @Column({ name: 'order_id', type: 'integer', nullable: true })
  orderId!: number | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;
}

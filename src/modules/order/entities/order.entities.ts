import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import { bigintAsNumber } from '../../../platform/database/columns';

export type OrderStatus = 'PENDING' | 'PAID' | 'CANCELLED';

@Entity('orders')
@Index('ix_orders_user_id', ['userId', 'id'])
@Index('ix_orders_status_expires', ['status', 'expiresAt'])
export class Order {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'user_id', type: 'integer' })
  userId!: number;

  @Column({ type: 'varchar', length: 16 })
  status!: OrderStatus;

  @Column({ name: 'total_amount', type: 'bigint', transformer: bigintAsNumber })
  totalAmount!: number;

  @Column({ name: 'discount_amount', type: 'bigint', transformer: bigintAsNumber })
  discountAmount!: number;

  @Column({ name: 'final_amount', type: 'bigint', transformer: bigintAsNumber })
  finalAmount!: number;

  @Column({ name: 'user_coupon_id', type: 'integer', nullable: true })
  userCouponId!: number | null;

  @Column({ name: 'created_at', type: 'datetime', precision: 3 })
  createdAt!: Date;

  /** After this instant a PENDING order can no longer be paid. */
  @Column({ name: 'expires_at', type: 'datetime', precision: 3 })
  expiresAt!: Date;

  @Column({ name: 'paid_at', type: 'datetime', precision: 3, nullable: true })
  paidAt!: Date | null;

  @Column({ name: 'cancelled_at', type: 'datetime', precision: 3, nullable: true })
  cancelledAt!: Date | null;
}

@Entity('order_items')
@Index('ix_order_items_order_id', ['orderId'])
export class OrderItem {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'order_id', type: 'integer' })
  orderId!: number;

  @Column({ name: 'product_id', type: 'integer' })
  productId!: number;

  @Column({ type: 'varchar', length: 200 })
  name!: string;

  @Column({ type: 'integer' })
  quantity!: number;

  @Column({ name: 'unit_price', type: 'bigint', transformer: bigintAsNumber })
  unitPrice!: number;

  @Column({ name: 'line_total', type: 'bigint', transformer: bigintAsNumber })
  lineTotal!: number;
}

export interface SoldLine {
  productId: number;
  quantity: number;
  unitPrice: number;
}

export interface SalesTotal {
  productId: number;
  quantity: number;
  revenue: number;
}

/**
 * Per-day sales counts fed by order events. Each record call is applied at most once per eventId,
 * atomically with remembering that id, so replaying a topic from the beginning changes nothing.
 * A cancellation subtracts from the day the order was counted on; one that arrives before its
 * completion (different topics) makes the completion count nothing.
 * Record calls take effect in the order they are made, also when the caller does not await one
 * before making the next (the consumer records a batch that way).
 */
export abstract class TopSellersStore {
  abstract recordCompleted(eventId: string, orderId: number, day: string, lines: SoldLine[]): Promise<boolean>;
  abstract recordCancelled(eventId: string, orderId: number, lines: SoldLine[]): Promise<boolean>;
  abstract totals(days: string[]): Promise<SalesTotal[]>;
}

/** Events and per-order state are kept this long: longer than the widest query (30 days). */
export const TOP_SELLERS_RETENTION_SECONDS = 35 * 24 * 3600;

import { Injectable } from '@nestjs/common';
import { SalesTotal, SoldLine, TopSellersStore } from './top-sellers.store';

/** Embedded profile: the same rules in process memory (rebuilt from nothing on restart). */
@Injectable()
export class InMemoryTopSellersStore extends TopSellersStore {
  private readonly seen = new Set<string>();
  private readonly orderDay = new Map<number, string>();
  private readonly days = new Map<string, Map<number, SalesTotal>>();

  async recordCompleted(eventId: string, orderId: number, day: string, lines: SoldLine[]): Promise<boolean> {
    if (this.seen.has(eventId)) return false;
    this.seen.add(eventId);
    if (this.orderDay.get(orderId) === 'cancelled') return true;
    this.orderDay.set(orderId, day);
    this.apply(day, lines, 1);
    return true;
  }

  async recordCancelled(eventId: string, orderId: number, lines: SoldLine[]): Promise<boolean> {
    if (this.seen.has(eventId)) return false;
    this.seen.add(eventId);
    const day = this.orderDay.get(orderId);
    this.orderDay.set(orderId, 'cancelled');
    if (day && day !== 'cancelled') this.apply(day, lines, -1);
    return true;
  }

  async totals(days: string[]): Promise<SalesTotal[]> {
    const totals = new Map<number, SalesTotal>();
    for (const day of days) {
      for (const entry of this.days.get(day)?.values() ?? []) {
        const total = totals.get(entry.productId) ?? { productId: entry.productId, quantity: 0, revenue: 0 };
        total.quantity += entry.quantity;
        total.revenue += entry.revenue;
        totals.set(entry.productId, total);
      }
    }
    return [...totals.values()];
  }

  private apply(day: string, lines: SoldLine[], sign: 1 | -1): void {
    const perProduct = this.days.get(day) ?? new Map<number, SalesTotal>();
    this.days.set(day, perProduct);
    for (const line of lines) {
      const entry = perProduct.get(line.productId) ?? { productId: line.productId, quantity: 0, revenue: 0 };
      entry.quantity += sign * line.quantity;
      entry.revenue += sign * line.quantity * line.unitPrice;
      perProduct.set(line.productId, entry);
    }
  }
}

import { Injectable } from '@nestjs/common';
import { ProductService } from '../product.service';
import { TopSellersStore } from './top-sellers.store';

export interface TopSellersView {
  from: string;
  to: string;
  items: Array<{ productId: number; name: string; price: number; soldQuantity: number; revenue: number; rank: number }>;
}

const DAY_MS = 86_400_000;

@Injectable()
export class TopSellersService {
  constructor(
    private readonly store: TopSellersStore,
    private readonly products: ProductService,
  ) {}

  /** Paid, not cancelled quantities over the last `days` UTC calendar days, today included. */
  async topSellers(days: number, limit: number, now = new Date()): Promise<TopSellersView> {
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const dayKeys = Array.from({ length: days }, (_, i) => new Date(today - i * DAY_MS).toISOString().slice(0, 10));
    const ranked = (await this.store.totals(dayKeys))
      .filter((total) => total.quantity > 0)
      .sort((a, b) => b.quantity - a.quantity || b.revenue - a.revenue || a.productId - b.productId)
      .slice(0, limit);
    const catalogue = await this.products.findManyCached(ranked.map((total) => total.productId));
    return {
      from: new Date(today - (days - 1) * DAY_MS).toISOString(),
      to: new Date(today + DAY_MS - 1).toISOString(),
      items: ranked.map((total, index) => ({
        productId: total.productId,
        name: catalogue.get(total.productId)?.name ?? '',
        price: catalogue.get(total.productId)?.price ?? 0,
        soldQuantity: total.quantity,
        revenue: total.revenue,
        rank: index + 1,
      })),
    };
  }
}

import { Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig, runsBackgroundWork } from '../../platform/config/app-config';
import { InjectAppConfig } from '../../platform/config/config.module';
import { ProductService } from './product.service';

const DEMO_PRODUCTS = [
  { name: 'Espresso beans 1kg', price: 32_000, stock: 50, category: 'coffee' },
  { name: 'Drip bags (20)', price: 15_000, stock: 120, category: 'coffee' },
  { name: 'Green tea 100g', price: 12_000, stock: 80, category: 'tea' },
  { name: 'Ceramic mug', price: 9_000, stock: 200, category: 'kitchen' },
  { name: 'Pour-over kettle', price: 58_000, stock: 20, category: 'kitchen' },
];

/** SEED_DEMO_DATA: a small catalogue in an empty products table (where background work runs, not in api replicas). */
@Injectable()
export class DemoProducts implements OnApplicationBootstrap {
  private readonly logger = new Logger('DemoProducts');

  constructor(
    private readonly products: ProductService,
    @InjectAppConfig() private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.seedDemoData || !runsBackgroundWork(this.config) || (await this.products.count()) > 0) return;
    for (const product of DEMO_PRODUCTS) await this.products.create(product);
    this.logger.log(`seeded ${DEMO_PRODUCTS.length} demo products`);
  }
}

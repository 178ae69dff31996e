// Baseline: the smallest NestJS 11 app on Fastify (one controller, no logger), to price the framework itself.
// With BASELINE_APP_HEADERS=1 every answer also carries what every app answer carries and a hello
// does not: the app's security headers (the same object) and an `x-request-id`, written by one
// onRequest hook as the app's is. That prices the headers themselves.
// `GET /products` answers the products scenario's list page (20 products of the shape the app
// answers, the same names and prices as its seeded catalogue) from memory, with no validation,
// cache or metrics: what the page's bytes alone cost the framework (the `nest-page` baseline).
import 'reflect-metadata';
import { Controller, Get, Module } from '@nestjs/common';
import { serveNestBaseline } from './nest-baseline';

const PAGE_SIZE = 20;
const catalogue = Array.from({ length: 100 }, (_, i) => ({
  id: 1_000 + i,
  name: `Catalogue item ${i}`,
  price: 1_000 + i,
  stock: 1_000,
  category: 'bench-catalogue',
  status: 'ON_SALE',
}));

@Controller()
class HelloController {
  @Get()
  hello(): { hello: string } {
    return { hello: 'world' };
  }

  @Get('products')
  page(): { items: typeof catalogue; nextCursor: string | null } {
    // Newest first, as the app's list; a new array per answer, as the app assembles its page from cached products.
    const items = catalogue.slice(-PAGE_SIZE).reverse();
    return { items, nextCursor: Buffer.from(String(items[PAGE_SIZE - 1].id)).toString('base64url') };
  }
}

@Module({ controllers: [HelloController] })
class HelloModule {}

serveNestBaseline(HelloModule, { appHeaders: process.env.BASELINE_APP_HEADERS === '1' });

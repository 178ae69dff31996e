import { request as httpRequest } from 'node:http';
import { Controller, Get, Module, Post } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { AdminRouteAudit } from '../../src/platform/auth/admin-route-audit';
import { Public, Roles } from '../../src/platform/auth/authenticated-user';
import { isolatedEnvironment, IsolatedEnvironment, profilesUnderTest } from '../support/real-engines';
import { recordAnswer, startApp, TestApp } from '../support/test-app';

/**
 * Sends the path exactly as written (fetch would normalise `..`, `//` and case-insensitive bits),
 * and reports the answer to the contract check like every request of the Api client.
 */
function rawRequest(url: string, method: string, path: string, token: string, body?: unknown): Promise<number> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const request = httpRequest(
      { hostname, port, method, path, headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' } },
      (response) => {
        response.resume();
        response.on('end', () => {
          recordAnswer(method, path, response.statusCode ?? 0);
          resolve(response.statusCode ?? 0);
        });
      },
    );
    request.on('error', reject);
    request.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const PRODUCT = { name: 'Trick', price: 1000, stock: 1, category: 'test' };

describe.each(profilesUnderTest())('authorization by declaration (%s profile)', (profile) => {
  let env: IsolatedEnvironment;
  let app: TestApp;
  let userToken: string;
  let adminToken: string;

  beforeAll(async () => {
    env = await isolatedEnvironment(profile, { ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD: 'admin-password' });
    app = await startApp(env.env);
    userToken = await app.api.login('plain-user@example.com');
    adminToken = (await app.api.post('/auth/login', { email: 'root@example.com', password: 'admin-password' })).body.accessToken;
  });

  afterAll(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('answers 403 to a user token and 401 to no token on every admin operation of the document', async () => {
    const document = (await app.api.get('/docs-json')).body as { paths: Record<string, Record<string, unknown>> };
    const adminOperations = Object.entries(document.paths)
      .filter(([path]) => path.startsWith('/admin/'))
      .flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => ({ method: method.toUpperCase(), path: path.replace(/\{\w+\}/g, '1') })),
      );
    expect(adminOperations.length).toBeGreaterThanOrEqual(3);
    for (const { method, path } of adminOperations) {
      const body = method === 'GET' ? undefined : PRODUCT;
      const asUser = await app.api.request(method, path, { token: userToken, body });
      expect({ method, path, status: asUser.status, code: asUser.body.code }).toEqual({ method, path, status: 403, code: 'FORBIDDEN' });
      const anonymous = await app.api.request(method, path, { body });
      expect({ method, path, status: anonymous.status }).toEqual({ method, path, status: 401 });
    }
  });

  it('never lets a spelling of the path reach an admin handler with a user token', async () => {
    const before = (await app.api.get('/products?limit=100')).body.items.length;
    const tricks = [
      '/admin/../admin/products',
      '/products/../admin/products',
      '//admin/products',
      '/ADMIN/products',
      '/Admin/Products',
      '/admin%2Fproducts',
      '/%61dmin/products',
      '/admin/products/',
      '/admin/products?role=admin',
      '/admin/products;x=1',
      '/admin/./products',
      '/./admin/products',
    ];
    const answers: Record<string, number> = {};
    for (const path of tricks) answers[path] = await rawRequest(app.url, 'POST', path, userToken, PRODUCT);
    for (const [path, status] of Object.entries(answers))
      expect({ path, status, reached: status < 400 }).toEqual({ path, status, reached: false });
    expect((await app.api.get('/products?limit=100')).body.items.length).toBe(before);
    // The same request with the admin token does reach the handler: the refusals above were the guard's.
    expect(await rawRequest(app.url, 'POST', '/admin/products', adminToken, PRODUCT)).toBe(201);
  });
});

describe('AdminRouteAudit', () => {
  async function boot(controller: new () => unknown): Promise<unknown> {
    @Module({ imports: [DiscoveryModule], controllers: [controller], providers: [AdminRouteAudit] })
    class Probe {}
    const moduleRef = await Test.createTestingModule({ imports: [Probe] }).compile();
    const outcome = await moduleRef.init().then(
      () => 'booted',
      (error: Error) => error.message,
    );
    await moduleRef.close().catch(() => undefined);
    return outcome;
  }

  it('refuses to boot when a route under /admin lacks @Roles(admin)', async () => {
    @Controller('admin/reports')
    class Unguarded {
      @Get('sales') sales() {}
    }
    expect(await boot(Unguarded)).toBe("Refusing to start: GET /admin/reports/sales is under /admin but lacks @Roles('admin')");
  });

  it('refuses to boot when @Roles(admin) sits outside /admin, or /admin is public', async () => {
    @Controller('reports')
    class Misplaced {
      @Roles('admin') @Post() create() {}
    }
    expect(await boot(Misplaced)).toBe("Refusing to start: POST /reports has @Roles('admin') but is not under /admin");
    @Public()
    @Controller('ADMIN')
    class PublicAdmin {
      @Get() list() {}
    }
    expect(await boot(PublicAdmin)).toBe("Refusing to start: GET /ADMIN is under /admin but lacks @Roles('admin')");
  });

  it('boots when admin routes and their roles agree', async () => {
    @Roles('admin')
    @Controller('admin/reports')
    class Guarded {
      @Get('sales') sales() {}
    }
    expect(await boot(Guarded)).toBe('booted');
  });
});

import { createHmac } from 'node:crypto';
import { ADMIN, Shop } from '../support/commerce-fixtures';
import { isolatedEnvironment, type IsolatedEnvironment, profilesUnderTest } from '../support/real-engines';
import { startApp, type TestApp } from '../support/test-app';

/** Bodies, paths and headers a hostile client sends: every one is a 4xx problem+json, never a 500. */
describe.each(profilesUnderTest())('HTTP hygiene (%s profile)', (profile) => {
  let env: IsolatedEnvironment;
  let app: TestApp;
  let shop: Shop;

  beforeAll(async () => {
    env = await isolatedEnvironment(profile, ADMIN);
    app = await startApp(env.env);
    shop = await Shop.open(app);
  });

  afterAll(async () => {
    await app?.close();
    await env?.cleanup();
  });

  const isProblem = (response: { headers: Headers }) => expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);

  it('refuses JSON nested deeper than the limit with 400 naming the limit, on public and guarded routes', async () => {
    const deep = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
    for (const [path, token] of [
      ['/auth/login', undefined],
      ['/auth/signup', undefined],
      ['/orders', shop.adminToken],
    ] as const) {
      for (const levels of [5000, 100_000]) {
        const response = await app.api.request('POST', path, { rawBody: deep(levels), token });
        expect(response.status).toBe(400);
        isProblem(response);
        expect(response.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'body' }] });
        expect(response.body.detail).toMatch(/32 levels/);
      }
    }
    const arrays = await app.api.request('POST', '/auth/login', { rawBody: `${'['.repeat(3000)}${']'.repeat(3000)}` });
    expect(arrays.status).toBe(400);
    // Brackets inside strings are text, not nesting.
    const inString = await app.api.post('/auth/login', { email: `${'{['.repeat(40)}@example.com`, password: 'x'.repeat(10) });
    expect(inString.status).toBe(401);
    expect(inString.body.code).toBe('INVALID_CREDENTIALS');
  });

  it('refuses text that is not Unicode (half of a surrogate pair) with 400 naming the field', async () => {
    // Raw bodies: the JSON escape `\ud800` is how such a string travels.
    const signup = await app.api.request('POST', '/auth/signup', {
      rawBody: '{"email":"\\ud800","password":"correct horse","name":"Jane"}',
    });
    expect(signup.status).toBe(400); // it was a 500: validator's isEmail throws on such a string
    isProblem(signup);
    expect(signup.body).toMatchObject({ code: 'VALIDATION_FAILED', errors: [{ field: 'email' }] });
    const order = await app.api.request('POST', '/orders', {
      rawBody: '{"items":[{"productId":1,"quantity":1}],"note\\udfff":1}',
      token: shop.adminToken,
    });
    expect(order.status).toBe(400);
    expect(order.body.errors[0].field).toBe('note\udfff');
    // A whole pair is text like any other.
    const emoji = await app.api.request('POST', '/auth/signup', {
      rawBody: `{"email":"emoji-${Date.now()}@example.com","password":"correct horse","name":"Jane \\ud83d\\ude00"}`,
    });
    expect(emoji.status).toBe(201);
    expect(emoji.body.name).toBe('Jane \u{1F600}');
  });

  it('answers null for a PATCH field with 400 naming the field', async () => {
    const product = await shop.product();
    for (const field of ['price', 'name', 'stock', 'category', 'status']) {
      const response = await app.api.patch(`/admin/products/${product.id}`, { [field]: null }, { token: shop.adminToken });
      expect(response.status).toBe(400);
      isProblem(response);
      expect(response.body.errors.map((e: { field: string }) => e.field)).toContain(field);
    }
    const fine = await app.api.patch(`/admin/products/${product.id}`, { price: 1234 }, { token: shop.adminToken });
    expect(fine.status).toBe(200);
  });

  it('accepts only canonical decimal ids in paths', async () => {
    const product = await shop.product({ price: 5000 });
    expect((await app.api.get(`/products/${product.id}`)).status).toBe(200);
    for (const alias of [
      `0x${product.id.toString(16)}`,
      `+${product.id}`,
      `%20${product.id}`,
      `0${product.id}`,
      `${product.id}e0`,
      `${product.id}.0`,
      '1e3',
      '-1',
      '0',
    ]) {
      const read = await app.api.get(`/products/${alias}`);
      expect({ alias, status: read.status }).toEqual({ alias, status: 400 });
      isProblem(read);
      const write = await app.api.patch(`/admin/products/${alias}`, { price: 1 }, { token: shop.adminToken });
      expect({ alias, status: write.status }).toEqual({ alias, status: 400 });
      const issue = await app.api.post(`/coupons/${alias}/issue`, undefined, { token: shop.adminToken });
      expect({ alias, status: issue.status }).toEqual({ alias, status: 400 });
    }
    expect((await app.api.get(`/products/${product.id}`)).body.price).toBe(5000);
  });

  it('answers a wrong method on a known path with 405 and Allow', async () => {
    const wrong = await app.api.request('DELETE', '/products');
    expect(wrong.status).toBe(405);
    isProblem(wrong);
    expect(wrong.body.code).toBe('METHOD_NOT_ALLOWED');
    expect(wrong.headers.get('allow')).toMatch(/\bGET\b/);
    const withParam = await app.api.request('PUT', '/orders/1/pay');
    expect(withParam.status).toBe(405);
    expect(withParam.headers.get('allow')).toBe('POST');
    expect((await app.api.request('DELETE', '/no-such-path')).status).toBe(404);
  });

  it('answers 413, 414 and 431 as problem+json', async () => {
    const large = await app.api.request('POST', '/auth/login', { rawBody: JSON.stringify({ email: 'x'.repeat(2 * 1024 * 1024) }) });
    expect(large.status).toBe(413);
    isProblem(large);
    expect(large.body.code).toBe('PAYLOAD_TOO_LARGE');

    const longUri = await app.api.get(`/products/${'1'.repeat(500)}`);
    expect(longUri.status).toBe(414);
    isProblem(longUri);
    expect(longUri.body.code).toBe('URI_TOO_LONG');

    const bigHeaders = await app.api.get('/products', { headers: { 'x-filler': 'a'.repeat(64 * 1024) } });
    expect(bigHeaders.status).toBe(431);
    isProblem(bigHeaders);
    expect(bigHeaders.body.code).toBe('HEADERS_TOO_LARGE');
  });

  it('marks token responses no-store', async () => {
    const login = await app.api.post('/auth/login', { email: ADMIN.ADMIN_EMAIL, password: ADMIN.ADMIN_PASSWORD });
    expect(login.status).toBe(200);
    expect(login.headers.get('cache-control')).toBe('no-store');
  });

  it('refuses a correctly signed token that has no exp', async () => {
    const me = await app.api.get('/users/me', { token: shop.adminToken });
    expect(me.status).toBe(200);
    const forever = signHs256({ sub: String(me.body.id), role: 'admin', iat: Math.floor(Date.now() / 1000) }, env.env.JWT_SECRET);
    const response = await app.api.get('/users/me', { token: forever });
    expect(response.status).toBe(401);
    isProblem(response);
    const withExp = signHs256({ sub: String(me.body.id), role: 'admin', exp: Math.floor(Date.now() / 1000) + 60 }, env.env.JWT_SECRET);
    expect((await app.api.get('/users/me', { token: withExp })).status).toBe(200);
  });
});

function signHs256(payload: object, secret: string): string {
  const encode = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${encode({ alg: 'HS256', typ: 'JWT' })}.${encode(payload)}`;
  return `${unsigned}.${createHmac('sha256', secret).update(unsigned).digest('base64url')}`;
}

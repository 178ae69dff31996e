/** Regressions for the defects `npm run fuzz` found (docs/reliability.md lists each with its seed). */
import { ADMIN, Shop } from '../support/commerce-fixtures';
import { isolatedEnvironment, type IsolatedEnvironment, profilesUnderTest } from '../support/real-engines';
import { startApp, type TestApp } from '../support/test-app';

describe.each(profilesUnderTest())('defects found by the fuzzer (%s profile)', (profile) => {
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

  it('answers a PATCH that leaves fields out with the whole product, status included', async () => {
    const product = await shop.product({ price: 5_000 });
    for (const changes of [{}, { price: 6_000 }]) {
      const patched = await app.api.patch(`/admin/products/${product.id}`, changes, { token: shop.adminToken });
      expect(patched.status).toBe(200);
      expect(patched.body).toEqual({ ...(await app.api.get(`/products/${product.id}`)).body, status: 'ON_SALE' });
    }
  });

  it('answers a body that is not JSON on an operation without a body with 415 problem+json (declared in the document)', async () => {
    const { token } = await shop.user();
    const document = (await app.api.get('/docs-json')).body;
    for (const path of ['/orders/1/pay', '/orders/1/cancel', '/coupons/1/issue']) {
      const answer = await app.api.post(path, undefined, {
        token,
        rawBody: 'a=1',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      });
      expect({ path, status: answer.status, type: answer.headers.get('content-type'), code: answer.body.code }).toEqual({
        path,
        status: 415,
        type: expect.stringContaining('application/problem+json'),
        code: 'UNSUPPORTED_MEDIA_TYPE',
      });
      const declared = document.paths[path.replace(/\/1\//, '/{id}/')].post.responses;
      expect(Object.keys(declared)).toEqual(expect.arrayContaining(['413', '415']));
    }
  });
});

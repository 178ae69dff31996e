import { isolatedEnvironment, type IsolatedEnvironment, profilesUnderTest } from '../support/real-engines';
import { startApp, type TestApp } from '../support/test-app';

describe.each(profilesUnderTest())('security headers and CORS (%s profile)', (profile) => {
  let env: IsolatedEnvironment;
  let app: TestApp;

  beforeAll(async () => {
    env = await isolatedEnvironment(profile);
    app = await startApp(env.env);
  });

  afterAll(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('sends the security headers on answers, errors and the docs, and no server banner', async () => {
    for (const path of ['/health/live', '/products', '/no/such/route', '/docs', '/docs-json']) {
      const { headers } = await app.api.get(path);
      expect({ path, csp: headers.get('content-security-policy') }).toEqual({ path, csp: expect.stringContaining("default-src 'self'") });
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(headers.get('referrer-policy')).toBe('no-referrer');
      expect(headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(headers.get('x-powered-by')).toBeNull();
      expect(headers.get('server')).toBeNull();
    }
  });

  it('answers no CORS headers unless CORS_ORIGINS lists the origin', async () => {
    const preflight = await app.api.request('OPTIONS', '/products', {
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'GET' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const simple = await app.api.get('/products', { headers: { origin: 'https://evil.example' } });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('CORS_ORIGINS (embedded profile)', () => {
  it('allows exactly the listed origins', async () => {
    const env = await isolatedEnvironment('embedded', { CORS_ORIGINS: 'https://shop.example,http://localhost:5173' });
    const app = await startApp(env.env);
    try {
      const allowed = await app.api.request('OPTIONS', '/orders', {
        headers: {
          origin: 'https://shop.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization,content-type',
        },
      });
      expect(allowed.status).toBe(204);
      expect(allowed.headers.get('access-control-allow-origin')).toBe('https://shop.example');
      expect(allowed.headers.get('access-control-allow-headers')).toContain('authorization');
      const other = await app.api.get('/products', { headers: { origin: 'https://evil.example' } });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
    } finally {
      await app.close();
      await env.cleanup();
    }
  });
});

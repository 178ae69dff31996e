import { isolatedEnvironment, type IsolatedEnvironment, profilesUnderTest } from '../support/real-engines';
import { startApp, type TestApp } from '../support/test-app';

const SECURITY_HEADERS = [
  'content-security-policy',
  'cross-origin-opener-policy',
  'cross-origin-resource-policy',
  'origin-agent-cluster',
  'referrer-policy',
  'strict-transport-security',
  'x-content-type-options',
  'x-dns-prefetch-control',
  'x-download-options',
  'x-frame-options',
  'x-permitted-cross-domain-policies',
  'x-xss-protection',
];

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
    let first: Record<string, string | null> | undefined;
    for (const path of ['/health/live', '/products', '/no/such/route', '/docs', '/docs-json']) {
      const { headers } = await app.api.get(path);
      // helmet's whole set, the same values on every answer.
      const security = Object.fromEntries(SECURITY_HEADERS.map((name) => [name, headers.get(name)]));
      first ??= security;
      expect({ path, security }).toEqual({ path, security: first });
      expect(Object.values(security)).not.toContain(null);
      expect({ path, csp: headers.get('content-security-policy') }).toEqual({ path, csp: expect.stringContaining("default-src 'self'") });
      expect(headers.get('x-content-type-options')).toBe('nosniff');
      expect(headers.get('x-frame-options')).toBe('SAMEORIGIN');
      expect(headers.get('referrer-policy')).toBe('no-referrer');
      expect(headers.get('strict-transport-security')).toMatch(/max-age=\d+/);
      expect(headers.get('x-powered-by')).toBeNull();
      expect(headers.get('server')).toBeNull();
    }
  });

  it('serves /docs (200) with every script and stylesheet it references, its init script included', async () => {
    const page = await app.api.get<string>('/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = page.body;
    // As a browser resolves them, relative to the page's own URL.
    const assets = [
      ...[...html.matchAll(/<script[^>]*\ssrc=["']([^"']+)["']/g)].map((m) => ({ kind: 'script', href: m[1] })),
      ...[...html.matchAll(/<link[^>]*\srel=["']stylesheet["'][^>]*>/g)].map((m) => ({
        kind: 'style',
        href: /href=["']([^"']+)["']/.exec(m[0])![1],
      })),
    ].map(({ kind, href }) => ({ kind, path: new URL(href, `${app.url}/docs`).pathname }));
    expect(assets.map((asset) => asset.path)).toEqual(expect.arrayContaining([expect.stringMatching(/\/swagger-ui-init\.js$/)]));
    for (const { kind, path } of assets) {
      const asset = await app.api.get<string>(path);
      // nosniff is on: a browser runs a script or applies a stylesheet only with the right type.
      expect({ path, status: asset.status, type: asset.headers.get('content-type') }).toEqual({
        path,
        status: 200,
        type: expect.stringMatching(kind === 'script' ? /javascript/ : /text\/css/),
      });
    }
    // The init script starts the UI on this API's own document.
    const init = await app.api.get<string>(assets.find((asset) => asset.path.endsWith('/swagger-ui-init.js'))!.path);
    expect(init.body).toContain('SwaggerUIBundle');
    expect(init.body).toMatch(/"operationId":\s*"payOrder"/);
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

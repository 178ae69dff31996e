import { isolatedEnvironment, type IsolatedEnvironment, profilesUnderTest } from '../support/real-engines';
import { startApp, type TestApp } from '../support/test-app';

describe.each(profilesUnderTest())('auth and HTTP conventions (%s profile)', (profile) => {
  let env: IsolatedEnvironment;
  let app: TestApp;

  beforeAll(async () => {
    env = await isolatedEnvironment(profile, { ADMIN_EMAIL: 'root@example.com', ADMIN_PASSWORD: 'admin-password' });
    app = await startApp(env.env);
  });

  afterAll(async () => {
    await app?.close();
    await env?.cleanup();
  });

  it('signs up, logs in and answers /users/me from the token', async () => {
    const signup = await app.api.post('/auth/signup', { email: 'Jane@Example.com', password: 'password-123', name: 'Jane' });
    expect(signup.status).toBe(201);
    expect(signup.body).toEqual({ id: expect.any(Number), email: 'jane@example.com', name: 'Jane', role: 'user' });
    expect(JSON.stringify(signup.body)).not.toMatch(/password/i);

    const login = await app.api.post('/auth/login', { email: 'jane@example.com', password: 'password-123' });
    expect(login.status).toBe(200);
    expect(login.body).toEqual({ accessToken: expect.any(String), tokenType: 'Bearer', expiresIn: 3600 });

    const me = await app.api.get('/users/me', { token: login.body.accessToken });
    expect(me.status).toBe(200);
    expect(me.body).toEqual(signup.body);
  });

  it('refuses a duplicate email with 409 EMAIL_TAKEN', async () => {
    await app.api.post('/auth/signup', { email: 'dup@example.com', password: 'password-123', name: 'A' });
    const again = await app.api.post('/auth/signup', { email: 'DUP@example.com', password: 'password-456', name: 'B' });
    expect(again.status).toBe(409);
    expect(again.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(again.body).toMatchObject({ status: 409, code: 'EMAIL_TAKEN', title: expect.any(String), type: expect.any(String) });
  });

  it('answers 401 INVALID_CREDENTIALS for a wrong password or an unknown email', async () => {
    await app.api.post('/auth/signup', { email: 'kim@example.com', password: 'password-123', name: 'Kim' });
    for (const body of [
      { email: 'kim@example.com', password: 'wrong-password' },
      { email: 'nobody@example.com', password: 'password-123' },
    ]) {
      const response = await app.api.post('/auth/login', body);
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('INVALID_CREDENTIALS');
    }
  });

  it('answers 401 for a missing, malformed or forged token', async () => {
    const forged = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIiwicm9sZSI6ImFkbWluIn0.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const headerSets: Array<Record<string, string>> = [
      {},
      { authorization: 'Bearer' },
      { authorization: 'Basic abc' },
      { authorization: `Bearer ${forged}` },
    ];
    for (const headers of headerSets) {
      const response = await app.api.get('/users/me', { headers });
      expect(response.status).toBe(401);
      expect(response.body.code).toBe('UNAUTHORIZED');
    }
  });

  it('creates the bootstrap admin from ADMIN_EMAIL / ADMIN_PASSWORD', async () => {
    const token = (await app.api.post('/auth/login', { email: 'root@example.com', password: 'admin-password' })).body.accessToken;
    const me = await app.api.get('/users/me', { token });
    expect(me.body).toMatchObject({ email: 'root@example.com', role: 'admin' });
  });

  it('rejects bad bodies with 400 VALIDATION_FAILED naming each field, never a 500', async () => {
    const cases: Array<{ rawBody?: string; body?: unknown; fields: string[] }> = [
      { body: { email: 'not-an-email', password: 'password-123', name: 'X' }, fields: ['email'] },
      { body: { email: 'a@example.com', password: 'short', name: 'X' }, fields: ['password'] },
      { body: { email: 'a@example.com', password: 'x'.repeat(73), name: 'X' }, fields: ['password'] },
      { body: { email: 'a@example.com', password: 12345678, name: 'X' }, fields: ['password'] },
      { body: { email: 'a@example.com', password: 'password-123', name: 'X', role: 'admin' }, fields: ['role'] },
      { body: [1, 2], fields: ['body'] },
      { body: null, fields: ['body'] },
      { rawBody: '{"email": ', fields: ['body'] },
      { rawBody: '', fields: ['body'] },
    ];
    for (const testCase of cases) {
      const response = await app.api.request('POST', '/auth/signup', testCase);
      expect(response.status).toBe(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      const fields = (response.body.errors as Array<{ field: string }>).map((e) => e.field);
      for (const field of testCase.fields) expect(fields).toContain(field);
    }
  });

  it('serves health, metrics and the OpenAPI document without a token', async () => {
    expect((await app.api.get('/health/live')).status).toBe(200);
    const ready = await app.api.get('/health/ready');
    expect(ready.status).toBe(200);
    expect(ready.body.details.database.status).toBe('up');
    if (profile === 'full') expect(Object.keys(ready.body.details).sort()).toEqual(['database', 'kafka', 'redis']);
    else expect(Object.keys(ready.body.details)).toEqual(['database']);

    const docs = await app.api.get('/docs-json');
    expect(docs.status).toBe(200);
    expect(docs.body.openapi).toMatch(/^3\./);
    expect(Object.keys(docs.body.paths)).toEqual(expect.arrayContaining(['/auth/signup', '/auth/login', '/users/me']));
    expect((await app.api.get('/docs')).status).toBe(200);

    const metrics = await app.api.get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.body).toContain('http_requests_total{method="POST",route="/auth/signup"');
    expect(metrics.body).toContain('http_request_duration_seconds_bucket');
  });

  it('answers unknown routes with a 404 problem', async () => {
    const response = await app.api.get('/no/such/route');
    expect(response.status).toBe(404);
    expect(response.body.code).toBe('NOT_FOUND');
  });
});

describe('demo data (embedded profile)', () => {
  it('seeds a demo user into an empty database, and only then', async () => {
    const env = await isolatedEnvironment('embedded', { SEED_DEMO_DATA: 'true' });
    let app = await startApp(env.env);
    try {
      const login = await app.api.post('/auth/login', { email: 'demo@example.com', password: 'demo-password' });
      expect(login.status).toBe(200);
      expect((await app.api.get('/products')).body.items.length).toBeGreaterThanOrEqual(5);
      await app.api.post('/auth/signup', { email: 'someone@example.com', password: 'password-123', name: 'S' });
      await app.close();
      // A restart on the same file finds data and adds nothing.
      app = await startApp(env.env);
      expect((await app.api.post('/auth/signup', { email: 'demo@example.com', password: 'demo-password', name: 'x' })).status).toBe(409);
    } finally {
      await app.close();
      await env.cleanup();
    }
  });
});

import { isolatedEnvironment, type IsolatedEnvironment, profilesUnderTest } from '../support/real-engines';
import { startApp, type TestApp } from '../support/test-app';

const LIMITS = { AUTH_RATE_LIMIT_PER_IP: '6', AUTH_RATE_LIMIT_PER_EMAIL: '3', AUTH_RATE_LIMIT_WINDOW_SECONDS: '60' };

describe.each(profilesUnderTest())('login and signup rate limits (%s profile)', (profile) => {
  let env: IsolatedEnvironment;
  // Two instances on the same data: in the full profile they share the Redis counts.
  let first: TestApp;
  let second: TestApp;

  beforeAll(async () => {
    env = await isolatedEnvironment(profile, LIMITS);
    first = await startApp(env.env);
    second = profile === 'full' ? await startApp(env.env) : first;
  });

  afterAll(async () => {
    if (second !== first) await second?.close();
    await first?.close();
    await env?.cleanup();
  });

  it('refuses the fourth attempt on one email with 429 RATE_LIMITED and Retry-After, whichever instance answers', async () => {
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      const app = attempt % 2 === 0 ? first : second;
      const response = await app.api.post('/auth/login', {
        email: attempt === 3 ? 'Victim@Example.com' : 'victim@example.com',
        password: `guess-${attempt}`,
      });
      statuses.push(response.status);
      if (response.status === 429) {
        expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
        expect(response.body).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
        expect(Number(response.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      }
    }
    expect(statuses).toEqual([401, 401, 401, 429]);
  });

  it('limits one address across emails and across login and signup', async () => {
    // Four attempts were spent above from this address; the limit is six per window.
    const other = await first.api.post('/auth/signup', { email: 'fresh@example.com', password: 'password-123', name: 'F' });
    expect(other.status).toBe(201);
    const login = await second.api.post('/auth/login', { email: 'fresh@example.com', password: 'password-123' });
    expect(login.status).toBe(200);
    const blocked = await first.api.post('/auth/login', { email: 'someone-else@example.com', password: 'password-123' });
    expect(blocked.status).toBe(429);
    expect(blocked.body.code).toBe('RATE_LIMITED');
    // Other routes are not limited.
    expect((await first.api.get('/products')).status).toBe(200);
  });
});

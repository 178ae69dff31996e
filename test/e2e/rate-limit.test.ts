import Redis from 'ioredis';
import { isolatedEnvironment, type IsolatedEnvironment, profilesUnderTest } from '../support/real-engines';
import { startApp, type HttpResponse, type TestApp } from '../support/test-app';

const WINDOW_SECONDS = 60;
const LIMITS = {
  AUTH_RATE_LIMIT_FAILED_LOGINS_PER_IP: '6',
  AUTH_RATE_LIMIT_FAILED_LOGINS_PER_EMAIL: '3',
  AUTH_RATE_LIMIT_SIGNUPS_PER_IP: '3',
  AUTH_RATE_LIMIT_WINDOW_SECONDS: String(WINDOW_SECONDS),
  // The client address comes from X-Forwarded-For, so each test can be its own set of clients.
  TRUST_PROXY: 'true',
};
const PASSWORD = 'password-123';

describe.each(profilesUnderTest())('login and sign-up limits (%s profile)', (profile) => {
  let env: IsolatedEnvironment;
  // Two instances on the same data: in the full profile they share the Redis counts.
  let first: TestApp;
  let second: TestApp;
  let nextAddress = 1;
  /** An address no other request of this file used. */
  const freshAddress = () => `198.51.100.${nextAddress++}`;

  const instance = (i: number) => (i % 2 === 0 ? first : second);
  const login = (address: string, email: string, password: string, i = 0) =>
    instance(i).api.post('/auth/login', { email, password }, { headers: { 'x-forwarded-for': address } });
  const signup = (address: string, email: string, i = 0) =>
    instance(i).api.post('/auth/signup', { email, password: PASSWORD, name: 'T' }, { headers: { 'x-forwarded-for': address } });
  /** An account signed up from an address of its own (sign-ups are limited per address). */
  const account = async (email: string) => expect((await signup(freshAddress(), email)).status).toBe(201);

  const expectRateLimited = (response: HttpResponse) => {
    expect(response.status).toBe(429);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.body).toMatchObject({ status: 429, code: 'RATE_LIMITED' });
    const retryAfter = Number(response.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThanOrEqual(1);
    expect(retryAfter).toBeLessThanOrEqual(WINDOW_SECONDS);
  };

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

  it('lets 40 successful logins from one address through, with failures there short of its budget', async () => {
    await account('office-1@example.com');
    await account('office-2@example.com');
    const office = freshAddress();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await login(office, `typo-${i}@example.com`, PASSWORD, i)).status);
    for (let i = 0; i < 40; i++) statuses.push((await login(office, `office-${1 + (i % 2)}@example.com`, PASSWORD, i)).status);
    expect(statuses).toEqual([...Array<number>(5).fill(401), ...Array<number>(40).fill(200)]);
  });

  it('refuses an email after its failed logins, the right password too, whichever instance and address', async () => {
    await account('victim@example.com');
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await login(freshAddress(), 'victim@example.com', `guess-${i}`, i)).status);
    expect(statuses).toEqual([401, 401, 401]);
    // Spelt otherwise, normalized as login normalizes it: the same account, the same budget.
    const right = await login(freshAddress(), ' Victim@Example.COM ', PASSWORD, 1);
    expectRateLimited(right);
    expect(right.body.detail).toMatch(/failed logins for this email/);
  });

  it('refuses an address after its failed logins over many emails, a right password from it too', async () => {
    await account('bystander@example.com');
    const attacker = freshAddress();
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await login(attacker, `stuffed-${i}@example.com`, `guess-${i}`, i)).status);
    expect(statuses).toEqual(Array<number>(6).fill(401));
    const blocked = await login(attacker, 'bystander@example.com', PASSWORD, 1);
    expectRateLimited(blocked);
    expect(blocked.body.detail).toMatch(/failed logins from this address/);
    // The account itself is not locked: from another address it logs in.
    expect((await login(freshAddress(), 'bystander@example.com', PASSWORD)).status).toBe(200);
  });

  it("does not take an address's failures back when it logs in to an account of its own", async () => {
    await account('attacker-own@example.com');
    const attacker = freshAddress();
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) statuses.push((await login(attacker, `target-${i}@example.com`, 'guess', i)).status);
    statuses.push((await login(attacker, 'attacker-own@example.com', PASSWORD)).status);
    statuses.push((await login(attacker, 'target-5@example.com', 'guess', 1)).status);
    expect(statuses).toEqual([401, 401, 401, 401, 401, 200, 401]);
    expectRateLimited(await login(attacker, 'attacker-own@example.com', PASSWORD));
  });

  it('limits sign-ups per address, successful or not, and not logins from it', async () => {
    const venue = freshAddress();
    const statuses: number[] = [];
    for (let i = 0; i < 2; i++) statuses.push((await signup(venue, `new-${i}@example.com`, i)).status);
    statuses.push((await signup(venue, 'new-0@example.com', 2)).status); // taken: still a sign-up
    expect(statuses).toEqual([201, 201, 409]);
    const refused = await signup(venue, 'new-3@example.com', 1);
    expectRateLimited(refused);
    expect(refused.body.detail).toMatch(/sign-ups from this address/);
    expect((await signup(freshAddress(), 'new-3@example.com')).status).toBe(201);
    expect((await login(venue, 'new-1@example.com', PASSWORD)).status).toBe(200);
  });

  if (profile === 'full')
    it("keeps the counts in Redis under the app's key prefix, each expiring with its window", async () => {
      const redis = new Redis(env.env.REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1 });
      try {
        await redis.connect();
        const prefix = `${env.env.REDIS_KEY_PREFIX}auth-limit:`;
        const keys = await redis.keys(`${prefix}*`);
        expect(keys).toEqual(
          expect.arrayContaining([
            `${prefix}failed-logins:email:victim@example.com`,
            expect.stringMatching(/^.*auth-limit:failed-logins:ip:198\.51\.100\.\d+$/),
            expect.stringMatching(/^.*auth-limit:signups:ip:198\.51\.100\.\d+$/),
          ]),
        );
        for (const key of keys) {
          const ttl = await redis.pttl(key);
          expect(ttl).toBeGreaterThan(0);
          expect(ttl).toBeLessThanOrEqual(WINDOW_SECONDS * 1000);
        }
        expect(await redis.get(`${prefix}failed-logins:email:victim@example.com`)).toBe('3');
      } finally {
        redis.disconnect();
      }
    });
});

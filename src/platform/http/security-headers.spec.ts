import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import helmet from 'helmet';
import { staticHeadersOf } from './security-headers';

describe('staticHeadersOf', () => {
  it("captures exactly the headers helmet's middleware sets on a real response", () => {
    const options = { contentSecurityPolicy: { directives: { defaultSrc: ["'self'"], upgradeInsecureRequests: null } } };
    const req = new IncomingMessage(new Socket());
    const res = new ServerResponse(req);
    res.setHeader('X-Powered-By', 'something'); // helmet removes it
    let nextCalled = false;
    helmet(options)(req, res, () => (nextCalled = true));
    expect(nextCalled).toBe(true);

    const captured = staticHeadersOf(helmet(options));
    expect(captured).toEqual(res.getHeaders());
    expect(Object.keys(captured).length).toBeGreaterThan(10);
    expect(Object.isFrozen(captured)).toBe(true);
  });

  it('refuses a middleware whose headers are not known once it returns', () => {
    expect(() => staticHeadersOf((_req, _res, next) => setImmediate(next))).toThrow(/synchronously/);
    expect(() => staticHeadersOf((_req, _res, next) => next(new Error('bad directive')))).toThrow('bad directive');
  });
});

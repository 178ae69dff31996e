import { loadConfig } from '../../platform/config/app-config';
import { USER_CONFIG } from './user-config';

describe('the bootstrap admin settings', () => {
  it('are both set or neither', () => {
    expect(loadConfig({}, [USER_CONFIG]).admin).toEqual({ email: undefined, password: undefined });
    expect(loadConfig({ ADMIN_EMAIL: 'admin@example.com', ADMIN_PASSWORD: 'long enough' }, [USER_CONFIG]).admin).toEqual({
      email: 'admin@example.com',
      password: 'long enough',
    });
    expect(() => loadConfig({ ADMIN_EMAIL: 'admin@example.com' }, [USER_CONFIG])).toThrow(/ADMIN_PASSWORD/);
    expect(() => loadConfig({ ADMIN_EMAIL: 'admin', ADMIN_PASSWORD: 'long enough' }, [USER_CONFIG])).toThrow(
      /"ADMIN_EMAIL" must be a valid email/,
    );
  });
});

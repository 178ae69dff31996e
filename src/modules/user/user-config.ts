import * as Joi from 'joi';
import { type ConfigOf, configSlice } from '../../platform/config/config-slice';

/** The user module's settings, `config.admin`: the bootstrap admin account, created at start-up when both are set. */
export const USER_CONFIG = configSlice({
  key: 'admin',
  variables: {
    // No defaults: unset, no admin account is created.
    ADMIN_EMAIL: Joi.string<string | undefined>().email({ tlds: false }),
    ADMIN_PASSWORD: Joi.string<string | undefined>().min(8).max(72),
  },
  // Admin credentials only make sense together.
  rules: (schema) => schema.and('ADMIN_EMAIL', 'ADMIN_PASSWORD'),
  settings: (env) => ({ email: env.ADMIN_EMAIL, password: env.ADMIN_PASSWORD }),
});

type UserConfig = ConfigOf<typeof USER_CONFIG>;

declare module '../../platform/config/app-config' {
  interface AppConfig extends UserConfig {}
}

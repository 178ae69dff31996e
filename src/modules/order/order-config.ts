import * as Joi from 'joi';
import { type ConfigOf, configSlice } from '../../platform/config/config-slice';

/** The order module's settings, `config.order`. */
export const ORDER_CONFIG = configSlice({
  key: 'order',
  variables: {
    ORDER_PENDING_TTL_SECONDS: Joi.number().integer().min(1).default(900),
  },
  settings: (env) => ({ pendingTtlSeconds: env.ORDER_PENDING_TTL_SECONDS }),
});

type OrderConfig = ConfigOf<typeof ORDER_CONFIG>;

declare module '../../platform/config/app-config' {
  interface AppConfig extends OrderConfig {}
}

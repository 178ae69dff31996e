import { COUPON_CONFIG } from './modules/coupon/coupon-config';
import { ORDER_CONFIG } from './modules/order/order-config';
import { PRODUCT_CONFIG } from './modules/product/product-config';
import { USER_CONFIG } from './modules/user/user-config';
import { type AppConfig, loadConfig } from './platform/config/app-config';

/** Every business module's configuration slice, validated with the platform's variables at start-up. */
export const MODULE_CONFIG = [USER_CONFIG, PRODUCT_CONFIG, ORDER_CONFIG, COUPON_CONFIG] as const;

/** The app's configuration from the environment: the platform's settings and every module's. */
export function loadAppConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  return loadConfig(env, MODULE_CONFIG);
}

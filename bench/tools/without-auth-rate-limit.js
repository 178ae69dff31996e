// Preloaded (--require) into the app for the baseline of bench/tools/auth-rate-limit.ts: the same
// build with the login limiter's guard letting everything through.
const { AuthRateLimitGuard } = require('../../dist/platform/auth/auth-rate-limit');
AuthRateLimitGuard.prototype.canActivate = async () => true;

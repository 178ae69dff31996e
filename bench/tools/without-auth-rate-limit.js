// Preloaded (--require) into the app for the baseline of bench/tools/auth-rate-limit.ts: the same
// build with the login and sign-up limiter letting everything through uncounted.
const { AuthAttemptLimiter } = require('../../dist/platform/auth/auth-attempt-limiter');
AuthAttemptLimiter.prototype.login = (_attempt, verify) => verify();
AuthAttemptLimiter.prototype.signup = async () => undefined;

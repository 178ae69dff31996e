// Preloaded (`node --require`) into one chaos instance only: its wall clock runs CHAOS_CLOCK_AHEAD_MS
// ahead (Date.now, new Date(), Date()). No root needed, unlike setting the system clock or libfaketime.
// Monotonic time (performance.now, timers) is left alone, as a skewed host clock would leave it.
const offset = Number(process.env.CHAOS_CLOCK_AHEAD_MS ?? 0);

if (offset) {
  const RealDate = Date;
  const realNow = RealDate.now;
  // A function, not a subclass: it shares Date.prototype, so every date (also those Node creates
  // internally) stays `instanceof Date`.
  function SkewedDate(...args) {
    if (!new.target) return new RealDate(realNow() + offset).toString();
    return Reflect.construct(RealDate, args.length ? args : [realNow() + offset], new.target);
  }
  SkewedDate.prototype = RealDate.prototype;
  SkewedDate.now = () => realNow() + offset;
  SkewedDate.parse = RealDate.parse;
  SkewedDate.UTC = RealDate.UTC;
  globalThis.Date = SkewedDate;
}

// Preloaded into a baseline server under `npm run bench -- --profile`: Node writes --cpu-prof's
// profile on a normal exit only, and the bench stops its servers with SIGTERM.
process.once('SIGTERM', () => process.exit(0));

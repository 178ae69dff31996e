// An OTLP/HTTP endpoint that accepts every export and keeps nothing but counts: the receiving end of
// a bench with tracing on (OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:<port> npm run bench ...), so
// the app pays for building and exporting its spans and nothing else is measured.
//   node -r ts-node/register/transpile-only bench/tools/otlp-sink.ts [--port 4318] [--seconds 3600]
// Listens on 127.0.0.1 only and stops by itself after --seconds (or on SIGINT/SIGTERM), printing the count.
import { createServer } from 'node:http';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { port: { type: 'string', default: '4318' }, seconds: { type: 'string', default: '3600' } } });
let received = 0;
let bytes = 0;
const server = createServer((request, response) => {
  request.on('data', (chunk: Buffer) => (bytes += chunk.length));
  request.on('end', () => {
    received++;
    response.writeHead(200, { 'content-type': request.headers['content-type'] ?? 'application/x-protobuf' }).end();
  });
});
const stop = () => {
  console.log(`otlp-sink: ${received} exports, ${(bytes / 1024 / 1024).toFixed(1)} MiB received`);
  server.close();
  process.exit(0);
};
server.listen(Number(values.port), '127.0.0.1', () => console.log(`otlp-sink on http://127.0.0.1:${values.port}`));
setTimeout(stop, Number(values.seconds) * 1000).unref();
process.on('SIGINT', stop).on('SIGTERM', stop);

import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { isolatedEnvironment } from '../support/real-engines';
import { startApp } from '../support/test-app';

describe('closing the app (embedded profile)', () => {
  it('ends with connections open that never sent a whole request, and closes them', async () => {
    const env = await isolatedEnvironment('embedded');
    const app = await startApp(env.env);
    try {
      const port = Number(new URL(app.url).port);
      const open = async (bytes?: string): Promise<Socket> => {
        const socket = connect(port, '127.0.0.1');
        socket.on('error', () => undefined);
        await once(socket, 'connect');
        if (bytes) socket.write(bytes);
        return socket;
      };
      // Nothing sent yet (a retransmission on its way, a proxy's spare connection), and headers cut short.
      const sockets = [await open(), await open('GET /health/live HTTP/1.1\r\nHost: localhost\r\n')];
      const ended = Promise.all(sockets.map((socket) => once(socket, 'close')));
      await app.close();
      await ended;
    } finally {
      await env.cleanup();
    }
  });
});

import { createServer, type Server, type Socket, connect } from 'node:net';

interface Link {
  client: Socket;
  upstream?: Socket;
  /** How many of the armed patterns this link's client has sent, in order. */
  matched: number;
}

/**
 * A TCP proxy on 127.0.0.1 that a test can fault and restore, to make one app instance lose a
 * dependency without stopping the engine other suites share:
 * - cut(): closes the listener and drops every connection, so new ones are refused as by a
 *   stopped engine (accepting and then dropping them is a different failure: clients count it as
 *   a successful reconnect);
 * - silent(): stops forwarding in both directions and accepts new connections without ever
 *   answering, as a network partition does; restore() lets the held bytes through, like a healed
 *   partition (TCP would have kept retransmitting them);
 * - cutAfterReplyTo(patterns): once one connection's client has sent data matching each pattern
 *   in turn, the next reply on it is delivered and then everything is cut (a failure right after
 *   the server acknowledged, say, a COMMIT).
 */
export class TcpProxy {
  private server?: Server;
  private readonly links = new Set<Link>();
  private mode: 'open' | 'cut' | 'silent' = 'open';
  private armed?: RegExp[];
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {}

  /** A proxy (not started yet) for the server a URL names, such as REDIS_URL; `defaultPort` when the URL has none. */
  static forUrl(url: string, defaultPort: number): TcpProxy {
    const target = new URL(url);
    return new TcpProxy(target.hostname, Number(target.port || defaultPort));
  }

  /** `url` (credentials, path and all) with its host and port replaced by this started proxy's. */
  through(url: string): string {
    const proxied = new URL(url);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(this.port);
    return proxied.toString();
  }

  async start(): Promise<this> {
    await this.listen();
    return this;
  }

  private async listen(): Promise<void> {
    this.server = createServer((client) => {
      if (this.mode === 'cut') return client.destroy();
      const link: Link = { client, matched: 0 };
      this.links.add(link);
      client.on('error', () => client.destroy());
      client.on('close', () => {
        link.upstream?.destroy();
        this.links.delete(link);
      });
      client.pause();
      if (this.mode === 'open') this.connectUpstream(link);
    });
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
    this.port = (server.address() as { port: number }).port;
  }

  private connectUpstream(link: Link): void {
    const upstream = connect(this.targetPort, this.targetHost);
    link.upstream = upstream;
    upstream.on('error', () => upstream.destroy());
    upstream.on('close', () => link.client.destroy());
    link.client.on('data', (chunk: Buffer) => this.watchRequest(link, chunk));
    upstream.on('data', () => this.watchReply(link));
    this.forward(link);
  }

  private forward(link: Link): void {
    if (!link.upstream) return this.connectUpstream(link);
    link.client.pipe(link.upstream);
    link.upstream.pipe(link.client);
  }

  private hold(link: Link): void {
    link.client.unpipe();
    link.upstream?.unpipe();
    link.client.pause();
    link.upstream?.pause();
  }

  private watchRequest(link: Link, chunk: Buffer): void {
    const patterns = this.armed;
    if (patterns && link.matched < patterns.length && patterns[link.matched].test(chunk.toString('latin1'))) link.matched++;
  }

  private watchReply(link: Link): void {
    if (!this.armed || link.matched < this.armed.length) return;
    this.armed = undefined;
    // pipe() writes the chunk to the client in this same 'data' event; cut once it is flushed.
    const cut = () => void this.cut();
    setImmediate(() => (link.client.writableLength === 0 ? cut() : link.client.once('drain', cut)));
  }

  /** Drops every connection and refuses new ones, as if the engine had stopped. */
  async cut(): Promise<void> {
    if (this.mode === 'cut') return;
    this.mode = 'cut';
    const server = this.server;
    const closed = new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    for (const link of this.links) {
      link.client.destroy();
      link.upstream?.destroy();
    }
    await closed;
  }

  /** Stops forwarding and answering, and keeps accepting connections: a partition. */
  async silent(): Promise<void> {
    if (this.mode === 'cut') await this.restore();
    this.mode = 'silent';
    for (const link of this.links) this.hold(link);
  }

  /** Cuts everything right after the reply to the request that completes `patterns` on one connection. */
  cutAfterReplyTo(patterns: RegExp[]): void {
    for (const link of this.links) link.matched = 0;
    this.armed = patterns;
  }

  /** Forwards again: after cut(), accepts connections on the same port; after silent(), lets held bytes through. */
  async restore(): Promise<void> {
    if (this.mode === 'open') return;
    const wasCut = this.mode === 'cut';
    this.mode = 'open';
    if (wasCut) return this.listen();
    for (const link of this.links) this.forward(link);
  }

  async stop(): Promise<void> {
    await this.cut();
  }
}

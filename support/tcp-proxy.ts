import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer, type Server, type Socket, connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

interface Link {
  client: Socket;
  upstream?: Socket;
  /** How many of the armed patterns this link's client has sent, in order. */
  matched: number;
  /** What the client sent that matched them (the start of each chunk), for the cut's record. */
  requests: string[];
  /** What the client sent while the proxy was silent (or before upstream was there), in order. */
  held: Buffer[];
}

/** A watchFor(): `seen` once a client sent data matching its pattern; `request` is the start of that data. */
export interface RequestWatch {
  seen: boolean;
  request?: string;
}

/** An armed cutAfterReplyTo(): `landed` once the connection that sent every pattern got its reply and was cut. */
export interface ArmedCut {
  landed: boolean;
  /** The start of what the cut connection's client sent that matched each pattern, in order. */
  requests: string[];
  /** How many connections the proxy had accepted when it cut (a later count above it: the client reconnected). */
  acceptedAtCut: number;
}

/**
 * Where proxies listen: a port below the OS's ephemeral range, which it never hands out to
 * `listen(0)` or to an outgoing connection, and above the ports the Kafka cluster tests derive
 * (19000-28995, test/support/kafka-cluster.ts). A proxy reserves its port for its whole life with a
 * file in PORT_DIR (created exclusively, naming its process), so a proxy of another suite or
 * process never takes a port whose owner is cut (not listening) for the moment.
 */
const PORT_RANGE_START = 30_000;
const PORT_DIR = join(tmpdir(), 'commerce-tcp-proxy-ports');

function ephemeralRangeStart(): number {
  try {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    if (Number.isInteger(low) && low > 0) return low;
  } catch {
    // Not Linux: the IANA range, which macOS and Windows use.
  }
  return 49_152;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Reserves a port of the range for this process; undefined when another live process holds it. */
function reserve(port: number): string | undefined {
  mkdirSync(PORT_DIR, { recursive: true });
  const file = join(PORT_DIR, String(port));
  for (let tries = 0; tries < 2; tries++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return file;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = Number(readFileSync(file, 'utf8').trim());
      // A proxy of a process that died without stopping it: its reservation is stale.
      if (Number.isInteger(owner) && owner > 0 && alive(owner)) return undefined;
      rmSync(file, { force: true });
    }
  }
  return undefined;
}

/**
 * A TCP proxy on 127.0.0.1 that a test can fault and restore, to make one app instance lose a
 * dependency without stopping the engine other suites share:
 * - cut(): closes the listener and drops every connection, so new ones are refused as by a
 *   stopped engine (accepting and then dropping them is a different failure: clients count it as
 *   a successful reconnect); restore() listens again on the same port, which the proxy keeps
 *   reserved meanwhile (see PORT_RANGE_START), and fails naming the port if it was taken anyway;
 * - silent(): stops forwarding in both directions and accepts new connections without ever
 *   answering, as a network partition does; it still reads what clients send (watchFor() sees
 *   it) and holds it; restore() lets the held bytes through, like a healed partition (TCP would
 *   have kept retransmitting them);
 * - cutAfterReplyTo(patterns): once one connection's client has sent data matching each pattern
 *   in turn, the next reply on it is delivered and then everything is cut (a failure right after
 *   the server acknowledged, say, a COMMIT); the returned record says whether and where it landed.
 */
export class TcpProxy {
  private server?: Server;
  private readonly links = new Set<Link>();
  private mode: 'open' | 'cut' | 'silent' = 'open';
  private armed?: { patterns: RegExp[]; cut: ArmedCut };
  private readonly watches: Array<RequestWatch & { pattern: RegExp }> = [];
  private reservation?: string;
  port = 0;
  /** Connections accepted so far (a client that lost its connection and opened another adds one). */
  accepted = 0;

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

  /** Listens on a port of its own (reserved until stop()). */
  async start(): Promise<this> {
    const end = ephemeralRangeStart();
    if (end - PORT_RANGE_START < 100) throw new Error(`TcpProxy: no port range below the ephemeral ports (which start at ${end})`);
    for (let tries = 0; tries < 50; tries++) {
      const port = PORT_RANGE_START + Math.floor(Math.random() * (end - PORT_RANGE_START));
      const reservation = reserve(port);
      if (!reservation) continue;
      this.port = port;
      try {
        await this.listen();
        this.reservation = reservation;
        return this;
      } catch (error) {
        rmSync(reservation, { force: true });
        // Something that does not reserve (a server started by hand) listens there: another port.
        if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
      }
    }
    throw new Error(`TcpProxy: no free port in ${PORT_RANGE_START}-${end - 1} after 50 tries`);
  }

  private async listen(): Promise<void> {
    this.server = createServer((client) => {
      if (this.mode === 'cut') return client.destroy();
      this.accepted++;
      const link: Link = { client, matched: 0, requests: [], held: [] };
      this.links.add(link);
      client.on('error', () => client.destroy());
      client.on('close', () => {
        link.upstream?.destroy();
        this.links.delete(link);
      });
      // Always read, so a silent proxy sees (and holds) what its clients send.
      client.on('data', (chunk: Buffer) => this.fromClient(link, chunk));
      if (this.mode === 'open') this.connectUpstream(link);
    });
    const server = this.server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', resolve);
    });
  }

  private connectUpstream(link: Link): void {
    const upstream = connect(this.targetPort, this.targetHost);
    link.upstream = upstream;
    upstream.on('error', () => upstream.destroy());
    upstream.on('close', () => link.client.destroy());
    upstream.on('data', () => this.watchReply(link));
    this.forward(link);
  }

  private fromClient(link: Link, chunk: Buffer): void {
    this.watchRequest(link, chunk);
    if (this.mode !== 'open' || !link.upstream) return void link.held.push(chunk);
    if (!link.upstream.write(chunk)) {
      link.client.pause();
      link.upstream.once('drain', () => link.client.resume());
    }
  }

  private forward(link: Link): void {
    if (!link.upstream) return this.connectUpstream(link);
    // Written in order before anything newer (a socket still connecting queues them).
    for (const chunk of link.held.splice(0)) link.upstream.write(chunk);
    link.upstream.pipe(link.client);
  }

  /** Replies stay with the server; what the client sends is read and held until restore(). */
  private hold(link: Link): void {
    link.upstream?.unpipe(link.client);
    link.upstream?.pause();
  }

  private watchRequest(link: Link, chunk: Buffer): void {
    const text = chunk.toString('latin1');
    for (const watch of this.watches) {
      if (!watch.seen && watch.pattern.test(text)) Object.assign(watch, { seen: true, request: text.slice(0, 200) });
    }
    const patterns = this.armed?.patterns;
    if (patterns && link.matched < patterns.length && patterns[link.matched].test(text)) {
      link.matched++;
      link.requests.push(text.slice(0, 200));
    }
  }

  private watchReply(link: Link): void {
    const armed = this.armed;
    if (!armed || link.matched < armed.patterns.length) return;
    this.armed = undefined;
    // pipe() writes the chunk to the client in this same 'data' event; cut once it is flushed.
    const cut = () => {
      armed.cut.requests = link.requests;
      armed.cut.acceptedAtCut = this.accepted;
      void this.cut().then(() => (armed.cut.landed = true));
    };
    setImmediate(() => (link.client.writableLength === 0 ? cut() : link.client.once('drain', cut)));
  }

  /**
   * From now on, notes the first thing a client sends that matches `pattern`, forwarded or held
   * (silent): a test waits for `seen` instead of sleeping until a request has surely left the app.
   */
  watchFor(pattern: RegExp): RequestWatch {
    const watch: RequestWatch & { pattern: RegExp } = { pattern, seen: false };
    this.watches.push(watch);
    return watch;
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

  /**
   * Cuts everything right after the reply to the request that completes `patterns` on one
   * connection. The record it returns turns `landed` when that happened: a test asserts it, since
   * patterns that never match (the SQL changed, say) would leave the fault untested.
   */
  cutAfterReplyTo(patterns: RegExp[]): ArmedCut {
    for (const link of this.links) {
      link.matched = 0;
      link.requests = [];
    }
    const cut: ArmedCut = { landed: false, requests: [], acceptedAtCut: 0 };
    this.armed = { patterns, cut };
    return cut;
  }

  /** Forwards again: after cut(), accepts connections on the same port; after silent(), lets held bytes through. */
  async restore(): Promise<void> {
    if (this.mode === 'open') return;
    const wasCut = this.mode === 'cut';
    this.mode = 'open';
    if (!wasCut) {
      for (const link of this.links) this.forward(link);
      return;
    }
    try {
      await this.listen();
    } catch (error) {
      throw new Error(
        `TcpProxy: cannot listen on 127.0.0.1:${this.port} again after a cut (${(error as Error).message}); ` +
          `whatever took the port is not one of these proxies, and the app pointed at it cannot be restored`,
        { cause: error },
      );
    }
  }

  /** Drops everything and gives the port back. */
  async stop(): Promise<void> {
    await this.cut();
    if (this.reservation) rmSync(this.reservation, { force: true });
    this.reservation = undefined;
  }
}

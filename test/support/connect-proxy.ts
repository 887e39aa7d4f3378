/**
 * An HTTP forward proxy that tunnels with CONNECT, as corporate and gateway proxies do; it records where
 * each tunnel went and the headers each CONNECT came with (all the proxy sees of a tunnel's requests).
 */
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';

export class ConnectProxy {
  readonly tunnels: string[] = [];
  /** Each CONNECT's headers, names and values one a line. */
  readonly headers: string[] = [];
  private readonly sockets = new Set<Socket>();

  private constructor(private readonly server: Server) {}

  static async start(): Promise<ConnectProxy> {
    const server = createServer((_request, response) => {
      response.writeHead(405);
      response.end('this proxy tunnels with CONNECT only');
    });
    const proxy = new ConnectProxy(server);
    server.on('connect', (request, client: Socket, head: Buffer) => {
      const target = request.url ?? '';
      proxy.tunnels.push(target);
      proxy.headers.push(request.rawHeaders.join('\n'));
      const [host, port] = target.split(':');
      const upstream = connect(Number(port), host, () => {
        client.write('HTTP/1.1 200 Connection Established\r\n\r\n');
        upstream.write(head);
        upstream.pipe(client);
        client.pipe(upstream);
      });
      for (const socket of [client, upstream]) {
        proxy.sockets.add(socket);
        socket.on('close', () => proxy.sockets.delete(socket));
        socket.on('error', () => socket.destroy());
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

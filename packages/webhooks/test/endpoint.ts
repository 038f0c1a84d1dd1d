/**
 * A real HTTP endpoint on 127.0.0.1 for the sender tests: it records every request (headers and
 * raw body bytes) and answers each with the next scripted behaviour.
 */
import {
  createServer,
  type IncomingHttpHeaders,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  readonly at: number;
}

/** One scripted answer: a status (and headers), never answering, or cutting the connection. */
export type Behaviour =
  | { readonly status: number; readonly headers?: Record<string, string> }
  | 'hang'
  | 'reset';

export class Endpoint {
  readonly requests: ReceivedRequest[] = [];
  #script: Behaviour[] = [];
  #fallback: Behaviour = { status: 204 };
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  url = '';

  constructor() {
    this.#server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        this.requests.push({
          method: req.method ?? '',
          path: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks),
          at: Date.now(),
        });
        this.#answer(this.#script.shift() ?? this.#fallback, res);
      });
    });
    this.#server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.on('close', () => this.#sockets.delete(socket));
    });
  }

  #answer(behaviour: Behaviour, res: ServerResponse): void {
    if (behaviour === 'hang') return;
    if (behaviour === 'reset') {
      res.socket?.destroy();
      return;
    }
    res.writeHead(behaviour.status, behaviour.headers);
    res.end('answer body');
  }

  /** Answers the next requests with `behaviours` in order, then with `fallback`. */
  script(behaviours: Behaviour[], fallback: Behaviour = { status: 204 }): this {
    this.#script = [...behaviours];
    this.#fallback = fallback;
    return this;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}/hooks`;
    return this;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

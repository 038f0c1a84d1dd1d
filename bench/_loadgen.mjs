// A busy-polling HTTP/1.1 load generator for the http section (not a section: the leading
// underscore keeps run.mjs from running it).
//
//   node bench/_loadgen.mjs <port> <seconds> <connections> [authorization header value]
//   node bench/_loadgen.mjs --slices <slice ms> <seconds> <connections> <port>=<authorization>…
//
// The first form keeps `connections` keep-alive connections to 127.0.0.1:<port>, each with one
// request in flight (pipelining 1), for `seconds`, then prints one JSON line:
//   { requests, ok, non2xx, errors, seconds, p50Ms, p99Ms }
//
// The second form (sliced) keeps `connections` connections open to every listed server and loads
// one server at a time, in slices of `slice ms`: a cycle gives each server one slice, in an order
// that rotates from cycle to cycle, and cycles repeat for `seconds`. A slice ends when its time is
// up and the requests still in flight have been answered (no new ones are sent); its rate is the
// responses it got over that time. Each server's rate is compared with the others' of the same
// cycle, a second apart at most, so a change in the machine's speed that lasts longer than a
// cycle (on this VM the same loop runs up to 1.9× faster or slower from one second to the next)
// cancels out of the ratios. It prints one JSON line:
//   { servers: [{ ok, non2xx, errors, p50Ms, p99Ms }…], cycles: [[{ responses, ms }, …one per server]…] }
//
// Why not wrk or autocannon: on loopback, the server's write runs the client's receive path in
// the server's own system call, including waking the client's thread when it sleeps. In a VM whose
// idle vCPUs halt at once (this machine: cpuidle haltpoll with guest_halt_poll_ns=0), each such
// wake-up is an inter-processor interrupt through the hypervisor, billed to the server. A slower
// server lets the client fall asleep more often, so every added microsecond of server work also
// adds wake-ups: the cost grows faster than the work. A server in production never wakes its
// clients (they are on other machines). This client never sleeps: it keeps its event loop busy,
// so libuv polls with a zero timeout and the server's writes find no sleeper to wake. It uses a
// core of its own (pin it away from the server).
//
// Responses must carry Content-Length (the bench servers' JSON replies do); anything else is an
// error, as is a response to a request that was not sent, or a connection closed mid-run.

import net from 'node:net';

const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
const LATENCY_CAP = 1_000_000;
/** How long a slice waits for the answers still in flight when its time is up. */
const DRAIN_MS = 10_000;

function usage() {
  console.error(
    'usage: node bench/_loadgen.mjs <port> <seconds 1-60> <connections 1-256> [auth]\n' +
      '       node bench/_loadgen.mjs --slices <ms 20-5000> <seconds 1-600> <connections 1-256> <port>=<auth>…',
  );
  process.exit(2);
}

/** One server under load: its connections, whether they may send, and what came back. */
class Target {
  constructor(port, authorization, connections) {
    this.port = port;
    this.request = Buffer.from(
      `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
        (authorization === undefined ? '' : `Authorization: ${authorization}\r\n`) +
        '\r\n',
      'latin1',
    );
    this.connections = connections;
    this.sockets = [];
    this.latencies = new Float64Array(LATENCY_CAP);
    this.latencyCount = 0;
    this.ok = 0;
    this.non2xx = 0;
    this.errors = 0;
    /** Whether answered connections send their next request. */
    this.sending = false;
    this.inFlight = 0;
    /** Called once the last in-flight request is answered after sending stopped. */
    this.onDrained = undefined;
    this.closing = false;
  }

  /** Opens the connections; resolves when all are connected. */
  open() {
    const opened = [];
    for (let i = 0; i < this.connections; i++) opened.push(this.#connect());
    return Promise.all(opened);
  }

  /** Every idle connection sends one request; each then sends again as it is answered. */
  start() {
    this.sending = true;
    for (const connection of this.sockets) connection.send();
  }

  /**
   * Stops sending; resolves once every request in flight has been answered, or after DRAIN_MS
   * with the unanswered ones counted as errors (a server that stops answering ends the run).
   */
  stop() {
    this.sending = false;
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.onDrained = undefined;
        this.errors += this.inFlight;
        resolve();
      }, DRAIN_MS);
      this.onDrained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  close() {
    this.closing = true;
    for (const connection of this.sockets) connection.socket.destroy();
  }

  summary() {
    const sorted = this.latencies.subarray(0, this.latencyCount).sort();
    const at = (q) =>
      sorted.length === 0 ? Number.NaN : sorted[Math.floor(q * (sorted.length - 1))];
    return {
      ok: this.ok,
      non2xx: this.non2xx,
      errors: this.errors,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
    };
  }

  #connect() {
    const target = this;
    const socket = net.connect({ host: '127.0.0.1', port: this.port, noDelay: true });
    let buffer = Buffer.alloc(0);
    let sentAt = 0;
    let waiting = false;
    let dead = false;
    const connection = {
      socket,
      send() {
        if (waiting || dead || !target.sending) return;
        waiting = true;
        target.inFlight++;
        sentAt = performance.now();
        socket.write(target.request);
      },
    };
    const answered = () => {
      waiting = false;
      target.inFlight--;
      if (target.sending) connection.send();
      if (target.inFlight === 0 && !target.sending && target.onDrained !== undefined) {
        const drained = target.onDrained;
        target.onDrained = undefined;
        drained();
      }
    };
    socket.on('data', (chunk) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      for (;;) {
        const end = buffer.indexOf(HEADER_END);
        if (end < 0) return;
        const head = buffer.toString('latin1', 0, end);
        const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
        if (length === null || !waiting) {
          target.errors++;
          socket.destroy();
          return;
        }
        const total = end + 4 + Number(length[1]);
        if (buffer.length < total) return;
        const status = Number(head.slice(9, 12));
        if (status >= 200 && status < 300) target.ok++;
        else target.non2xx++;
        if (target.latencyCount < LATENCY_CAP) {
          target.latencies[target.latencyCount++] = performance.now() - sentAt;
        }
        buffer = buffer.subarray(total);
        if (buffer.length > 0) {
          target.errors++;
          socket.destroy();
          return;
        }
        answered();
      }
    });
    socket.on('error', () => {
      target.errors++;
    });
    // A connection the server closes mid-run would silently lower the rate: count it, and let
    // a slice waiting for its answer end.
    socket.on('close', () => {
      dead = true;
      if (target.closing) return;
      target.errors++;
      if (waiting) answered();
    });
    this.sockets.push(connection);
    return new Promise((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
  }
}

/** Loads `target` for `ms`; resolves with the responses of the slice and the time it took. */
async function slice(target, ms) {
  const before = target.ok + target.non2xx;
  const startedAt = performance.now();
  target.start();
  await new Promise((resolve) => setTimeout(resolve, ms));
  await target.stop();
  return { responses: target.ok + target.non2xx - before, ms: performance.now() - startedAt };
}

// The busy loop: while an immediate is pending, libuv polls for I/O without sleeping.
let spinning = true;
function spin() {
  if (spinning) setImmediate(spin);
}

const args = process.argv.slice(2);
spin();
if (args[0] === '--slices') {
  const [, msText, secondsText, connectionsText, ...servers] = args;
  const sliceMs = Number(msText);
  const seconds = Number(secondsText);
  const connections = Number(connectionsText);
  if (
    !(sliceMs >= 20 && sliceMs <= 5000 && seconds > 0 && seconds <= 600) ||
    !(Number.isInteger(connections) && connections > 0 && connections <= 256) ||
    servers.length === 0
  ) {
    usage();
  }
  const targets = servers.map((text) => {
    const at = text.indexOf('=');
    const port = Number(at < 0 ? text : text.slice(0, at));
    if (!(Number.isInteger(port) && port > 0)) usage();
    return new Target(port, at < 0 ? undefined : text.slice(at + 1), connections);
  });
  await Promise.all(targets.map((target) => target.open()));
  const cycles = [];
  const endAt = performance.now() + seconds * 1000;
  for (let cycle = 0; cycles.length === 0 || performance.now() < endAt; cycle++) {
    const results = new Array(targets.length);
    for (let i = 0; i < targets.length; i++) {
      const index = (cycle + i) % targets.length;
      results[index] = await slice(targets[index], sliceMs);
    }
    cycles.push(results);
  }
  spinning = false;
  for (const target of targets) target.close();
  process.stdout.write(
    `${JSON.stringify({ servers: targets.map((target) => target.summary()), cycles })}\n`,
  );
} else {
  const [portText, secondsText, connectionsText, authorization] = args;
  const port = Number(portText);
  const seconds = Number(secondsText);
  const connections = Number(connectionsText);
  if (!(port > 0 && seconds > 0 && seconds <= 60 && connections > 0 && connections <= 256)) {
    usage();
  }
  const target = new Target(port, authorization, connections);
  await target.open();
  const { ms } = await slice(target, seconds * 1000);
  spinning = false;
  target.close();
  const { ok, non2xx, errors, p50Ms, p99Ms } = target.summary();
  process.stdout.write(
    `${JSON.stringify({ requests: ok + non2xx, ok, non2xx, errors, seconds: ms / 1000, p50Ms, p99Ms })}\n`,
  );
}
process.exit(0);

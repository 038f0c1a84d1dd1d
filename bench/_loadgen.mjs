// A busy-polling HTTP/1.1 load generator for the http section (not a section: the leading
// underscore keeps run.mjs from running it).
//
//   node bench/_loadgen.mjs <port> <seconds> <connections> [authorization header value]
//
// Keeps `connections` keep-alive connections to 127.0.0.1:<port>, each with one request in
// flight (pipelining 1), for `seconds`, then prints one JSON line:
//   { requests, ok, non2xx, errors, seconds, p50Ms, p99Ms }
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

const [portText, secondsText, connectionsText, authorization] = process.argv.slice(2);
const port = Number(portText);
const seconds = Number(secondsText);
const connections = Number(connectionsText);
if (!(port > 0 && seconds > 0 && seconds <= 60 && connections > 0 && connections <= 256)) {
  console.error('usage: node bench/_loadgen.mjs <port> <seconds 1-60> <connections 1-256> [auth]');
  process.exit(2);
}

const request = Buffer.from(
  `GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n` +
    (authorization === undefined ? '' : `Authorization: ${authorization}\r\n`) +
    '\r\n',
  'latin1',
);
const HEADER_END = Buffer.from('\r\n\r\n', 'latin1');
const LATENCY_CAP = 1_000_000;
const latencies = new Float64Array(LATENCY_CAP);
let latencyCount = 0;
let requests = 0;
let ok = 0;
let non2xx = 0;
let errors = 0;
let running = true;
let startedAt = 0;
let endedAt = 0;

function open() {
  const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
  let buffer = Buffer.alloc(0);
  let sentAt = 0;
  const send = () => {
    if (!running) {
      socket.destroy();
      return;
    }
    sentAt = performance.now();
    requests++;
    socket.write(request);
  };
  socket.on('connect', send);
  socket.on('data', (chunk) => {
    buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
    for (;;) {
      const end = buffer.indexOf(HEADER_END);
      if (end < 0) return;
      const head = buffer.toString('latin1', 0, end);
      const length = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (length === null) {
        errors++;
        socket.destroy();
        return;
      }
      const total = end + 4 + Number(length[1]);
      if (buffer.length < total) return;
      const status = Number(head.slice(9, 12));
      if (status >= 200 && status < 300) ok++;
      else non2xx++;
      if (latencyCount < LATENCY_CAP) latencies[latencyCount++] = performance.now() - sentAt;
      buffer = buffer.subarray(total);
      if (buffer.length > 0) {
        errors++;
        socket.destroy();
        return;
      }
      send();
    }
  });
  socket.on('error', () => {
    errors++;
  });
  // A connection the server closes mid-run would silently lower the rate: count it.
  socket.on('close', () => {
    if (running) errors++;
  });
}

// The busy loop: while an immediate is pending, libuv polls for I/O without sleeping.
function spin() {
  if (running) setImmediate(spin);
}

startedAt = performance.now();
for (let i = 0; i < connections; i++) open();
spin();
setTimeout(() => {
  running = false;
  endedAt = performance.now();
  const sorted = latencies.subarray(0, latencyCount).sort();
  const at = (q) =>
    sorted.length === 0 ? Number.NaN : sorted[Math.floor(q * (sorted.length - 1))];
  process.stdout.write(
    `${JSON.stringify({
      requests,
      ok,
      non2xx,
      errors,
      seconds: (endedAt - startedAt) / 1000,
      p50Ms: at(0.5),
      p99Ms: at(0.99),
    })}\n`,
  );
  // Sockets still waiting for a reply are simply dropped.
  process.exit(0);
}, seconds * 1000);

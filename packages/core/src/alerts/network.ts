const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;
const IPV6 = /^[0-9a-f:]{2,39}$/;

/**
 * The network a client address belongs to for `new_network`: its IPv4 /24 (`203.0.113.0/24`,
 * IPv4-mapped IPv6 counted as IPv4) or IPv6 /48 (`2001:db8:1::/48`); undefined for anything that
 * is not an address.
 */
export function networkOf(ip: string): string | undefined {
  let address = ip.toLowerCase();
  if (address.startsWith('::ffff:') && address.includes('.')) address = address.slice(7);
  if (IPV4.test(address)) return `${address.slice(0, address.lastIndexOf('.'))}.0/24`;
  const zone = address.indexOf('%');
  if (zone !== -1) address = address.slice(0, zone);
  if (!IPV6.test(address)) return undefined;
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0]!.split(':');
  const tail = halves.length > 1 && halves[1] !== '' ? halves[1]!.split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const groups = [...head, ...Array<string>(Math.max(0, missing)).fill('0'), ...tail];
  if (groups.some((group) => group.length === 0 || group.length > 4)) return undefined;
  return `${groups
    .slice(0, 3)
    .map((group) => group.replace(/^0+(?=.)/, ''))
    .join(':')}::/48`;
}

/** Whether `ip` is a dotted IPv4 address in the /24 `prefix` (`a.b.c.` + 1 to 3 digits). */
function inIpv4(ip: string, prefix: string): boolean {
  const rest = ip.length - prefix.length;
  // A real prefix ends with its `.`; the placeholder for "not IPv4" never does.
  if (rest < 1 || rest > 3 || prefix.charCodeAt(prefix.length - 1) !== 46) return false;
  if (!ip.startsWith(prefix)) return false;
  for (let i = prefix.length; i < ip.length; i++) {
    const c = ip.charCodeAt(i);
    if (c < 48 || c > 57) return false;
  }
  return true;
}

/**
 * The networks one key was used from, each with when it was last seen: at most `max`, the least
 * recently seen forgotten first. The current network's time is kept in a field and written back
 * only when the key moves to another, so a request from the same address costs a string compare.
 * The network used before the current one is remembered too: a client moving back to it (two
 * networks taking turns) is recognised without parsing its address.
 */
export class NetworkMemory {
  readonly #seen = new Map<string, number>();
  #lastIp: string | undefined;
  #current: string | undefined;
  /** `a.b.c.` when the current network is an IPv4 /24: another host in it costs no parsing. */
  #currentIpv4 = '\u0000';
  #currentSeenAt = 0;
  /** The network the key moved away from last, and its `a.b.c.` when it is an IPv4 /24. */
  #previous: string | undefined;
  #previousIpv4: string | undefined;

  /**
   * Records a use from `ip` at `now`. Returns the network when it is new — unseen within
   * `memoryMs` while the key already has history and its learning period (until `learnUntil`) is
   * over — else undefined.
   */
  see(
    ip: string,
    now: number,
    memoryMs: number,
    max: number,
    learnUntil: number,
  ): string | undefined {
    const sameHost = ip === this.#lastIp;
    if (sameHost || this.#inCurrentIpv4(ip)) {
      if (!sameHost) this.#lastIp = ip;
      this.#currentSeenAt = now;
      return undefined;
    }
    // An address in the previous /24 is in that network: what networkOf would say, unparsed.
    const previousIpv4 = this.#previousIpv4;
    const back = previousIpv4 !== undefined && inIpv4(ip, previousIpv4);
    const network = back ? this.#previous : networkOf(ip);
    if (network === undefined) return undefined;
    this.#lastIp = ip;
    if (network === this.#current) {
      this.#currentSeenAt = now;
      return undefined;
    }
    const seen = this.#seen;
    if (this.#current !== undefined) seen.set(this.#current, this.#currentSeenAt);
    const last = seen.get(network);
    const isNew =
      now >= learnUntil && seen.size > 0 && (last === undefined || now - last > memoryMs);
    seen.set(network, now);
    const leftIpv4 = this.#currentIpv4;
    this.#previous = this.#current;
    this.#previousIpv4 =
      this.#current !== undefined && leftIpv4 !== '\u0000' ? leftIpv4 : undefined;
    this.#current = network;
    this.#currentIpv4 = back
      ? previousIpv4
      : network.endsWith('.0/24')
        ? network.slice(0, -4)
        : '\u0000';
    this.#currentSeenAt = now;
    if (seen.size > max) this.#forget(now, memoryMs, max);
    return isNew ? network : undefined;
  }

  /** Whether `ip` is a dotted IPv4 address in the current /24 (`a.b.c.` + digits). */
  #inCurrentIpv4(ip: string): boolean {
    return inIpv4(ip, this.#currentIpv4);
  }

  /** How many networks are remembered. */
  get size(): number {
    return this.#seen.size;
  }

  /** Drops networks older than the memory, then the least recently seen until `max` remain. */
  #forget(now: number, memoryMs: number, max: number): void {
    const seen = this.#seen;
    for (const [network, at] of seen) if (now - at > memoryMs) seen.delete(network);
    while (seen.size > max) {
      let oldest: string | undefined;
      let oldestAt = Number.POSITIVE_INFINITY;
      for (const [network, at] of seen) {
        if (network !== this.#current && at < oldestAt) {
          oldest = network;
          oldestAt = at;
        }
      }
      if (oldest === undefined) break;
      seen.delete(oldest);
    }
  }
}

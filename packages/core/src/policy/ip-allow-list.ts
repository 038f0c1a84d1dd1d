import ipaddr from 'ipaddr.js';
import { InvalidOptionsError } from '../errors.js';

/**
 * An allow-list compiled once: IPv4 ranges as integers, IPv6 ranges as parsed addresses.
 *
 * @example
 * ```ts
 * const list: IpAllowList = compileIpAllowList(['10.0.0.0/8']);
 * list.matches('10.1.2.3'); // true
 * ```
 */
export interface IpAllowList {
  /** Canonical entries, as stored (`10.0.0.0/8`, `2001:db8::/32`, `192.0.2.7`). */
  readonly entries: readonly string[];
  /** Whether `ip` (as the framework resolved it) is inside the list; false when unparsable. */
  matches(ip: string | undefined): boolean;
}

const DECIMAL = /^(?:0|[1-9][0-9]{0,2})$/;

/** Strict dotted-quad parse to an unsigned 32-bit integer; undefined for anything else. */
function parseIPv4(text: string): number | undefined {
  const length = text.length;
  if (length < 7 || length > 15) return undefined;
  let value = 0;
  let octet = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < length; i++) {
    const code = text.charCodeAt(i);
    if (code === 46) {
      if (digits === 0 || dots === 3) return undefined;
      value = value * 256 + octet;
      octet = 0;
      digits = 0;
      dots++;
    } else if (code >= 48 && code <= 57) {
      if (digits > 0 && octet === 0) return undefined; // leading zero
      octet = octet * 10 + (code - 48);
      digits++;
      if (octet > 255) return undefined;
    } else {
      return undefined;
    }
  }
  if (dots !== 3 || digits === 0) return undefined;
  return value * 256 + octet;
}

function mask(bits: number): number {
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

function refuse(entry: unknown, why: string, option: string): never {
  throw new InvalidOptionsError(`${option}: "${String(entry)}" ${why}`);
}

/** The deprecated IPv4-compatible form `::a.b.c.d`, which ipaddr.js reads as IPv4-mapped. */
const IPV4_COMPATIBLE = /^::(\d{1,3}(?:\.\d{1,3}){3})$/;

/** IPv6 text ipaddr.js reads as written: `::a.b.c.d` stays `::a.b.c.d`, not `::ffff:a.b.c.d`. */
function literalIPv6(text: string): string {
  const compatible = IPV4_COMPATIBLE.exec(text);
  return compatible === null ? text : `::0:${compatible[1]}`;
}

type Range4 = { network: number; mask: number };
type Range6 = [ipaddr.IPv6, number];

/**
 * Compiles CIDR ranges and single addresses. Refuses, naming the entry: non-decimal or
 * abbreviated IPv4 (`0x7f.1`, `010.0.0.1`), also inside IPv6 (`::ffff:0177.0.0.1`), prefix
 * lengths out of range, zone ids, and ranges with host bits set. IPv4-mapped IPv6 entries become
 * IPv4 ranges.
 *
 * @example
 * ```ts
 * const list = compileIpAllowList(['10.0.0.0/8', '2001:db8::/32', '192.0.2.7']);
 * list.matches('::ffff:10.1.2.3'); // true: IPv4-mapped IPv6 is matched as IPv4
 * compileIpAllowList(['10.0.0.1/8']); // throws InvalidOptionsError (host bits set)
 * ```
 */
export function compileIpAllowList(entries: unknown, option = 'ips'): IpAllowList {
  if (!Array.isArray(entries))
    throw new InvalidOptionsError(`${option} must be an array of strings`);
  const v4: Range4[] = [];
  const v6: Range6[] = [];
  const canonical: string[] = [];
  for (const entry of entries) {
    if (typeof entry !== 'string' || entry.length === 0 || entry.length > 64) {
      refuse(entry, 'is not an IP address or CIDR range', option);
    }
    if (entry.includes('%'))
      refuse(entry, 'has a zone id, which allow-lists do not accept', option);
    const slash = entry.indexOf('/');
    const address = slash === -1 ? entry : entry.slice(0, slash);
    const prefixText = slash === -1 ? undefined : entry.slice(slash + 1);
    if (prefixText !== undefined && !DECIMAL.test(prefixText)) {
      refuse(entry, 'has an invalid prefix length', option);
    }
    const ipv4 = parseIPv4(address);
    if (ipv4 !== undefined) {
      const bits = prefixText === undefined ? 32 : Number(prefixText);
      if (bits > 32) refuse(entry, 'has a prefix length over 32', option);
      if ((ipv4 & mask(bits)) >>> 0 !== ipv4) {
        refuse(entry, 'has host bits set beyond its prefix length', option);
      }
      v4.push({ network: ipv4, mask: mask(bits) });
      canonical.push(bits === 32 ? address : `${address}/${bits}`);
      continue;
    }
    if (!address.includes(':') || !ipaddr.IPv6.isValid(address)) {
      refuse(entry, 'is not a valid IPv4 (dotted decimal) or IPv6 address', option);
    }
    // ipaddr.js reads an embedded IPv4 leniently (`::ffff:0x0a.0.0.1`, `::ffff:0177.0.0.1`):
    // hold it to the same strict dotted decimal as a plain IPv4 entry.
    const lastColon = address.lastIndexOf(':');
    if (address.includes('.', lastColon) && parseIPv4(address.slice(lastColon + 1)) === undefined) {
      refuse(entry, 'embeds an IPv4 address that is not in plain dotted decimal', option);
    }
    const address6 = literalIPv6(address);
    const parsed = ipaddr.IPv6.parse(address6);
    const bits = prefixText === undefined ? 128 : Number(prefixText);
    if (bits > 128) refuse(entry, 'has a prefix length over 128', option);
    if (parsed.isIPv4MappedAddress() && bits >= 96) {
      const mapped = parsed.toIPv4Address();
      const value = parseIPv4(mapped.toString())!;
      const v4bits = bits - 96;
      if ((value & mask(v4bits)) >>> 0 !== value) {
        refuse(entry, 'has host bits set beyond its prefix length', option);
      }
      v4.push({ network: value, mask: mask(v4bits) });
      canonical.push(v4bits === 32 ? mapped.toString() : `${mapped.toString()}/${v4bits}`);
      continue;
    }
    const network = ipaddr.IPv6.networkAddressFromCIDR(`${address6}/${bits}`);
    if (network.toNormalizedString() !== parsed.toNormalizedString()) {
      refuse(entry, 'has host bits set beyond its prefix length', option);
    }
    v6.push([parsed, bits]);
    canonical.push(bits === 128 ? parsed.toString() : `${parsed.toString()}/${bits}`);
  }
  return new CompiledIpAllowList(canonical, v4, v6);
}

const MAPPED_PREFIX = '::ffff:';

/**
 * The IPv4 value of the last client IP {@link CompiledIpAllowList.matches} read (`undefined`:
 * not IPv4), kept for the next call: a keep-alive connection's requests carry the same address,
 * usually the very same string, so the common request compares one string instead of parsing it.
 */
let lastIp = '';
let lastIpv4: number | undefined;

/** A client IP with the `::ffff:` of an IPv4-mapped address written with dots taken off. */
function unmapped(ip: string): string {
  return ip.charCodeAt(0) === 58 &&
    ip.length > 7 &&
    ip.slice(0, 7).toLowerCase() === MAPPED_PREFIX &&
    ip.includes('.')
    ? ip.slice(7)
    : ip;
}

/** The IPv4 value of a client IP (IPv4-mapped IPv6 as its IPv4), or undefined. */
function ipv4Of(ip: string): number | undefined {
  if (ip === lastIp) return lastIpv4;
  const value = parseIPv4(unmapped(ip));
  lastIp = ip;
  lastIpv4 = value;
  return value;
}

class CompiledIpAllowList implements IpAllowList {
  constructor(
    readonly entries: readonly string[],
    private readonly v4: readonly Range4[],
    private readonly v6: readonly Range6[],
  ) {}

  matches(ip: string | undefined): boolean {
    if (typeof ip !== 'string' || ip.length === 0 || ip.length > 64) return false;
    const value = ipv4Of(ip);
    if (value !== undefined) {
      for (const range of this.v4) if ((value & range.mask) >>> 0 === range.network) return true;
      return false;
    }
    if (this.v6.length === 0 && this.v4.length === 0) return false;
    const text = unmapped(ip);
    if (text.includes('%') || !ipaddr.IPv6.isValid(text)) return false;
    const parsed = ipaddr.IPv6.parse(literalIPv6(text));
    if (parsed.isIPv4MappedAddress()) return this.matches(parsed.toIPv4Address().toString());
    for (const range of this.v6) if (parsed.match(range)) return true;
    return false;
  }
}

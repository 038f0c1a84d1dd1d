import type { KeyEnvironment } from '@keyward/core';

/** Owner ids and environments made of these characters appear in KV key names as they are. */
const PLAIN = /^[A-Za-z0-9_.-]{1,100}$/;

const hex = (bytes: ArrayBuffer): string =>
  Array.from(new Uint8Array(bytes), (byte) => byte.toString(16).padStart(2, '0')).join('');

/**
 * A name part that cannot run into the next one: plain text as it is, anything else (a `:`,
 * non-ASCII, too long for KV's 512-byte keys) as `~` and its SHA-256. `~` is not plain, so the
 * two forms never meet, and a name part never contains the `:` that ends it.
 */
async function part(value: string): Promise<string> {
  if (PLAIN.test(value)) return value;
  const digest = await globalThis.crypto.subtle.digest('SHA-256', new TextEncoder().encode(value));
  return `~${hex(digest)}`;
}

/**
 * KV key names. A record is `<prefix>:rec:<id>`; listings read index entries (empty values) named
 * `<prefix>:env:<env>:<id>`, `<prefix>:own:<owner>:<id>` and `<prefix>:own-env:<owner>:<env>:<id>`,
 * which KV lists in id order under their prefix. A publishable key also has the same entries
 * under `pk`, `pk-env`, `pk-own` and `pk-own-env` (and `<prefix>:pk:<id>`), so listing publishable
 * keys never reads the secret ones.
 */
export class KvNames {
  constructor(readonly prefix: string) {}

  record(id: string): string {
    return `${this.prefix}:rec:${id}`;
  }

  /** The prefix a listing with these filters reads; ids follow it. */
  async listing(
    ownerId: string | undefined,
    environment: KeyEnvironment | undefined,
    publishable = false,
  ): Promise<string> {
    const pk = publishable ? 'pk-' : '';
    if (ownerId === undefined) {
      if (environment !== undefined) return `${this.prefix}:${pk}env:${await part(environment)}:`;
      return publishable ? `${this.prefix}:pk:` : `${this.prefix}:rec:`;
    }
    return environment === undefined
      ? `${this.prefix}:${pk}own:${await part(ownerId)}:`
      : `${this.prefix}:${pk}own-env:${await part(ownerId)}:${await part(environment)}:`;
  }

  /** Every index entry a record with this owner, environment and type has. */
  async indexes(
    id: string,
    ownerId: string | undefined,
    environment: KeyEnvironment,
    type: 'secret' | 'publishable' | undefined,
  ): Promise<string[]> {
    const names: string[] = [];
    for (const publishable of type === 'publishable' ? [false, true] : [false]) {
      if (publishable) names.push(`${await this.listing(undefined, undefined, true)}${id}`);
      names.push(`${await this.listing(undefined, environment, publishable)}${id}`);
      if (ownerId !== undefined) {
        names.push(`${await this.listing(ownerId, undefined, publishable)}${id}`);
        names.push(`${await this.listing(ownerId, environment, publishable)}${id}`);
      }
    }
    return names;
  }
}

import { expect, it } from 'vitest';
import { keyStatus } from '../stores/key-list-filter.js';
import type { KeyListQuery, KeyRecord, KeyStore } from '../stores/types.js';
import { randomId } from './random-id.js';
import { sampleRecord } from './sample-record.js';

const DAY = 86_400_000;

/** Every page of a listing (at most 50), checking that only the last page is short. */
async function listAll(
  store: KeyStore,
  query: Omit<KeyListQuery, 'cursor'>,
): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  let pages = 0;
  for (;;) {
    const page = await store.listKeys({ ...query, cursor });
    pages++;
    ids.push(...page.items.map((item) => item.id));
    cursor = page.cursor ?? undefined;
    if (cursor === undefined || pages >= 50) break;
    expect(page.items).toHaveLength(query.limit);
  }
  expect(new Set(ids).size).toBe(ids.length);
  expect(ids).toStrictEqual([...ids].sort());
  return { ids, pages };
}

const sorted = (ids: readonly string[]) => [...ids].sort();

/**
 * The `status` and `search` cases of `describeKeyStore` (inside its `describe`). With
 * `refused`, the store must instead refuse both filters with `invalid_options`.
 */
export function listFilterCases(store: () => Promise<KeyStore>, refused: boolean): void {
  if (refused) {
    it('refuses the status and search filters with code invalid_options', async () => {
      const s = await store();
      for (const filter of [{ status: 'active' as const }, { search: 'ci' }]) {
        let error: unknown;
        try {
          await s.listKeys({ limit: 10, ...filter });
        } catch (caught) {
          error = caught;
        }
        expect((error as { code?: unknown } | undefined)?.code).toBe('invalid_options');
      }
    });
    return;
  }

  it('lists by status at the query’s now: revoked, then disabled, then expired, else active', async () => {
    const s = await store();
    const ownerId = `owner_${randomId()}`;
    const now = Date.now() + 10 * DAY;
    const cases: [KeyRecord['disabled'], number | undefined, number | undefined, string][] = [
      [false, undefined, undefined, 'active'],
      [false, now + DAY, undefined, 'active'],
      [false, now - 9 * DAY, undefined, 'expired'], // in the future by the wall clock
      [false, now, undefined, 'expired'], // expiresAt ≤ now
      [true, undefined, undefined, 'disabled'],
      [true, now - DAY, undefined, 'disabled'],
      [false, undefined, now - DAY, 'revoked'],
      [true, now - DAY, now - DAY, 'revoked'],
    ];
    const expected = new Map<string, string[]>();
    for (const [disabled, expiresAt, revokedAt, status] of cases) {
      const r = sampleRecord({ ownerId, disabled });
      if (expiresAt !== undefined) r.expiresAt = expiresAt;
      if (revokedAt !== undefined) r.revokedAt = revokedAt;
      expect(keyStatus(r, now)).toBe(status);
      await s.insertKey(r);
      expected.set(status, [...(expected.get(status) ?? []), r.id]);
    }
    for (const status of ['active', 'disabled', 'revoked', 'expired'] as const) {
      const { ids } = await listAll(s, { ownerId, status, now, limit: 100 });
      expect(ids).toStrictEqual(sorted(expected.get(status) ?? []));
    }
    // Without an owner, every item of the first page has the status asked for.
    const page = await s.listKeys({ status: 'disabled', now, limit: 20 });
    for (const item of page.items) expect(keyStatus(item, now)).toBe('disabled');
  });

  it('paginates a status filter with full pages until the last', async () => {
    const s = await store();
    const ownerId = `owner_${randomId()}`;
    const revoked: string[] = [];
    for (let i = 0; i < 12; i++) {
      const r = sampleRecord({ ownerId, environment: i % 2 === 0 ? 'live' : 'test' });
      if (i % 3 !== 0) {
        r.revokedAt = Date.now() - 1000;
        revoked.push(r.id);
      }
      await s.insertKey(r);
    }
    const { ids, pages } = await listAll(s, { ownerId, status: 'revoked', limit: 3 });
    expect(ids).toStrictEqual(sorted(revoked));
    expect(pages).toBeGreaterThanOrEqual(3);
    const live = await listAll(s, { ownerId, environment: 'live', status: 'active', limit: 1 });
    expect(live.ids).toHaveLength(2);
  });

  it('searches names case-insensitively (ASCII) and ids exactly, with %, _ and \\ literal', async () => {
    const s = await store();
    const ownerId = `owner_${randomId()}`;
    const token = randomId();
    const named = async (name: string) => {
      const r = sampleRecord({ ownerId, name });
      await s.insertKey(r);
      return r.id;
    };
    const upper = await named(`CI ${token.toUpperCase()} Pipeline`);
    const lower = await named(`ci ${token.toLowerCase()} backup`);
    const percent = await named(`100%_off ${token}`);
    const backslash = await named(`back\\slash ${token}`);
    const accented = await named(`Été ${token}`);
    const other = await named('unrelated');
    const search = async (text: string, extra: Partial<KeyListQuery> = {}) =>
      (await listAll(s, { ownerId, search: text, limit: 100, ...extra })).ids;

    expect(await search(token)).toStrictEqual(sorted([upper, lower, percent, backslash, accented]));
    expect(await search(`ci ${token.toLowerCase()}`)).toStrictEqual(sorted([upper, lower]));
    expect(await search('0%_OFF')).toStrictEqual([percent]);
    expect(await search('0__off')).toStrictEqual([]); // `_` is not a wildcard
    expect(await search('1%0')).toStrictEqual([]); // nor is `%`
    expect(await search('k\\s')).toStrictEqual([backslash]);
    expect(await search('k\\\\s')).toStrictEqual([]);
    expect(await search(`Été ${token}`)).toStrictEqual([accented]);
    expect(await search(other)).toStrictEqual([other]); // the id, exactly
    expect(await search(other.slice(0, 8))).toStrictEqual([]); // not a part of an id
    expect(await search('')).toHaveLength(6); // '' filters nothing
    // Without an owner: the token is unique to this test.
    expect((await listAll(s, { search: token, limit: 2 })).ids).toStrictEqual(
      sorted([upper, lower, percent, backslash, accented]),
    );
  });

  it('combines search, status, environment and pagination', async () => {
    const s = await store();
    const ownerId = `owner_${randomId()}`;
    const token = randomId();
    const want: string[] = [];
    for (let i = 0; i < 16; i++) {
      const r = sampleRecord({
        ownerId,
        name: i % 2 === 0 ? `job ${token} #${i}` : `other #${i}`,
        environment: i % 4 < 2 ? 'live' : 'test',
      });
      if (i % 8 < 4) r.disabled = true;
      await s.insertKey(r);
      if (i % 2 === 0 && i % 8 < 4 && i % 4 < 2) want.push(r.id);
    }
    const { ids } = await listAll(s, {
      search: token.toLowerCase(),
      status: 'disabled',
      environment: 'live',
      limit: 1,
    });
    expect(ids).toStrictEqual(sorted(want));
    const byOwner = await listAll(s, { ownerId, search: token, status: 'active', limit: 3 });
    expect(byOwner.ids).toHaveLength(4);
  });

  it('combines the key type with status and search, page by page', async () => {
    const s = await store();
    const ownerId = `owner_${randomId()}`;
    const token = randomId();
    const ids = { secret: [] as string[], publishable: [] as string[] };
    for (let i = 0; i < 12; i++) {
      const type = i % 2 === 0 ? 'secret' : 'publishable';
      const r = sampleRecord({
        ownerId,
        name: `${type} ${token} #${i}`,
        ...(type === 'publishable'
          ? { type: 'publishable', referrers: ['https://shop.example.com/*'] }
          : {}),
      });
      if (i % 4 >= 2) r.disabled = true;
      await s.insertKey(r);
      if (i % 4 < 2) ids[type].push(r.id);
    }
    for (const type of ['secret', 'publishable'] as const) {
      const active = await listAll(s, { ownerId, type, status: 'active', limit: 2 });
      expect(active.ids, `${type}, active`).toStrictEqual(sorted(ids[type]));
      const found = await listAll(s, { ownerId, type, search: token, status: 'active', limit: 1 });
      expect(found.ids, `${type}, search + active`).toStrictEqual(sorted(ids[type]));
    }
    expect(
      (await listAll(s, { ownerId, type: 'secret', search: token, limit: 100 })).ids,
    ).toHaveLength(6);
  });
}

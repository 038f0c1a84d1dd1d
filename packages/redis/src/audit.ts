import {
  type AuditDraft,
  type AuditQuery,
  type AuditRecord,
  StoreUnavailableError,
  sealAuditRecord,
} from '@keyward/core';
import type { RedisClient, StoreScripts } from './commands.js';
import type { KeyNames } from './keys.js';

/** Appends racing for the same seq retry; each lost race means another writer moved on. */
const MAX_ATTEMPTS = 64;
/** The reply of an audited script when another writer appended first. */
const HEAD_MOVED = -1;

type AuditKeys = ReturnType<KeyNames['audit']>;

/** An entry that no longer parses (edited by hand): returned so that it fails verification. */
function unreadable(seq: number): AuditRecord {
  return { seq, id: '', at: 0, type: 'key.updated', keyId: '', prevHash: '', hash: '' };
}

function parse(json: string, seq: number): AuditRecord {
  try {
    const record = JSON.parse(json) as AuditRecord;
    return typeof record === 'object' && record !== null ? record : unreadable(seq);
  } catch {
    return unreadable(seq);
  }
}

/**
 * The audit trail on Redis, in the key store's hash slot. Lua has no SHA-256, so an append reads
 * the chain's head, seals the entry in JS and sends it to a script that writes it — with the key
 * change, atomically — only if the head has not moved meanwhile (compare-and-set on its `seq`);
 * otherwise it reads the head again and retries. Works on Redis Cluster (one slot).
 */
export class RedisAudit {
  constructor(
    private readonly client: RedisClient,
    private readonly names: KeyNames,
    private readonly scripts: StoreScripts,
  ) {}

  /** Seals `draft` and runs `script` with the audit keys and arguments until the head held. */
  async write(
    draft: AuditDraft,
    script: (keys: AuditKeys, args: (string | number)[]) => Promise<unknown>,
  ): Promise<{ reply: unknown; record: AuditRecord }> {
    const keys = this.names.audit(draft.keyId);
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const [seq, hash, at] = await this.client.hmget(keys[0], 'seq', 'hash', 'at');
      const previous =
        seq == null || hash == null ? undefined : { seq: Number(seq), hash, at: Number(at) };
      const record = sealAuditRecord(draft, previous);
      const reply = await script(keys, [
        previous?.seq ?? 0,
        record.seq,
        record.hash,
        record.at,
        JSON.stringify(record),
        String(record.seq).padStart(16, '0'),
      ]);
      if (reply !== HEAD_MOVED) return { reply, record };
    }
    throw new StoreUnavailableError('the audit trail is too busy: gave up after 64 attempts');
  }

  async append(draft: AuditDraft): Promise<AuditRecord> {
    const { record } = await this.write(draft, (keys, args) =>
      this.scripts.appendAudit(...keys, ...args),
    );
    return record;
  }

  async list(query: AuditQuery): Promise<AuditRecord[]> {
    const [head, log, byKey, byTime] = this.names.audit(query.keyId ?? '');
    const limit = Math.max(1, Math.min(1000, Math.trunc(query.limit)));
    let after = Math.max(0, Math.trunc(query.afterSeq ?? 0));
    if (query.since !== undefined) {
      // Entries' times never go back along the chain, so those since a time are a tail of it.
      const [first] = await this.client.zrangebyscore(byTime, query.since, '+inf', 'LIMIT', 0, 1);
      if (first === undefined) return [];
      after = Math.max(after, Number(first) - 1);
    }
    if (query.keyId !== undefined) {
      const seqs = await this.client.zrangebyscore(byKey, `(${after}`, '+inf', 'LIMIT', 0, limit);
      if (seqs.length === 0) return [];
      const values = await this.client.hmget(log, ...seqs);
      return values.flatMap((json, i) => (json === null ? [] : [parse(json, Number(seqs[i]))]));
    }
    const last = Number((await this.client.hget(head, 'seq')) ?? 0);
    const records: AuditRecord[] = [];
    // The log is keyed by seq, so a page is a range of fields; a removed entry leaves a hole.
    while (records.length < limit && after < last) {
      const fields: number[] = [];
      for (let seq = after + 1; seq <= last && fields.length < limit - records.length; seq++) {
        fields.push(seq);
      }
      const values = await this.client.hmget(log, ...fields.map(String));
      values.forEach((json, i) => {
        if (json !== null) records.push(parse(json, fields[i]!));
      });
      after = fields[fields.length - 1]!;
    }
    return records;
  }
}

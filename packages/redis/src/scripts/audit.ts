import { INSERT_KEY_BODY, UPDATE_KEY_BODY } from './key-records.js';

/**
 * Checks that the chain's head is still the entry the caller sealed after (its `seq`, 0 for an
 * empty trail); returns -1 when another writer appended first, so the caller re-reads the head and
 * seals again (Lua has no SHA-256, so sealing happens in JS).
 *
 * The last four KEYS are the audit keys (head, log, the key's index, the time index); the last
 * six ARGV the entry (expectedSeq, seq, hash, at, json, seq zero-padded for the time index).
 */
const AUDIT_HEAD_CHECK = `
local ak = #KEYS - 4
local aa = #ARGV - 6
local head = tonumber(redis.call('HGET', KEYS[ak + 1], 'seq') or '0')
if head ~= tonumber(ARGV[aa + 1]) then return -1 end
`;

/** Appends the sealed entry and moves the head to it. */
const AUDIT_APPEND = `
redis.call('HSET', KEYS[ak + 2], ARGV[aa + 2], ARGV[aa + 5])
redis.call('ZADD', KEYS[ak + 3], ARGV[aa + 2], ARGV[aa + 2])
redis.call('ZADD', KEYS[ak + 4], ARGV[aa + 4], ARGV[aa + 6])
redis.call('HSET', KEYS[ak + 1], 'seq', ARGV[aa + 2], 'hash', ARGV[aa + 3], 'at', ARGV[aa + 4])
return 1
`;

/** Appends an entry: 1, or -1 when the head moved. KEYS the four audit keys. */
export const APPEND_AUDIT_LUA = `${AUDIT_HEAD_CHECK}${AUDIT_APPEND}`;

/** INSERT_KEY_LUA and an append in one script: 1, 0 (duplicate id) or -1 (head moved). */
export const INSERT_KEY_AUDITED_LUA = `${AUDIT_HEAD_CHECK}local nk = ak${INSERT_KEY_BODY}${AUDIT_APPEND}`;

/** UPDATE_KEY_LUA and an append in one script: 1, 0, `{ storedIdx }` or -1 (head moved). */
export const UPDATE_KEY_AUDITED_LUA = `${AUDIT_HEAD_CHECK}local nk = ak${UPDATE_KEY_BODY}${AUDIT_APPEND}`;

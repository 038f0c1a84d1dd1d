/**
 * Inserts a record hash `{ json, version, idx }` unless the id exists, and adds the id to every
 * index (sorted sets scored 0, so members sort by id). `idx` remembers which indexes hold the id.
 * Falls through when written (the caller's script decides what follows); returns 0 for a
 * duplicate id. `nk` is the number of keys the record and its indexes take.
 *
 * KEYS[1] record, KEYS[2..nk] indexes · ARGV id, json, version, idx
 */
export const INSERT_KEY_BODY = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'json', ARGV[2], 'version', ARGV[3], 'idx', ARGV[4])
for i = 2, nk do redis.call('ZADD', KEYS[i], 0, ARGV[1]) end
`;

/** {@link INSERT_KEY_BODY} on its own: returns 1, or 0 for a duplicate id. */
export const INSERT_KEY_LUA = `local nk = #KEYS${INSERT_KEY_BODY}return 1
`;

/**
 * Replaces a record only if it exists at the expected version, and moves the id between indexes.
 * The caller declares the indexes it believes hold the id (`oldIdx`); when the stored `idx`
 * differs, nothing is written and the stored `idx` is returned so the caller can retry with the
 * right keys declared (scripts may only touch keys they are given, as Redis Cluster requires).
 * Falls through when written; returns 0 (missing or version conflict) or `{ storedIdx }`. `nk` is
 * the number of keys the record and its indexes take.
 *
 * KEYS[1] record, KEYS[2..1+n] old indexes, KEYS[2+n..nk] new indexes
 * ARGV id, json, version, expectedVersion, oldIdx, n, newIdx
 */
export const UPDATE_KEY_BODY = `
local stored = redis.call('HMGET', KEYS[1], 'version', 'idx')
if not stored[1] or tonumber(stored[1]) ~= tonumber(ARGV[4]) then return 0 end
if stored[2] ~= ARGV[5] then return { stored[2] or '' } end
local old = tonumber(ARGV[6])
for i = 2, 1 + old do redis.call('ZREM', KEYS[i], ARGV[1]) end
for i = 2 + old, nk do redis.call('ZADD', KEYS[i], 0, ARGV[1]) end
redis.call('HSET', KEYS[1], 'json', ARGV[2], 'version', ARGV[3], 'idx', ARGV[7])
`;

/** {@link UPDATE_KEY_BODY} on its own: returns 1 (written), 0 or `{ storedIdx }`. */
export const UPDATE_KEY_LUA = `local nk = #KEYS${UPDATE_KEY_BODY}return 1
`;

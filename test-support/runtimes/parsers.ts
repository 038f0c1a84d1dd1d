/**
 * Where each runtime's HTTP parser, or its fetch `Headers`, hands keyward something other than
 * Node's parser does, as measured: the attack table's expected outcome for those attacks.
 * Common to every fetch runtime: repeated header lines arrive joined with ", " in one value, so
 * keyward cannot count lines and applies its comma rule instead (a key holds no comma; an
 * `Authorization` value holds one credential), which refuses every repeated key header the table
 * sends — except where a runtime leaves no trace of a line at all (workerd, below).
 */
import type { ParserProfile } from '../attack-cases.js';

const MALFORMED = { code: 'malformed_key', status: 401 } as const;
const OK = { ok: true } as const;
const AMBIGUOUS = { code: 'ambiguous_key', status: 400 } as const;

/** Bun 1.x: refuses past ~200 header lines (431); passes DEL (0x7F) on to the handler. */
export const BUN_PARSER: ParserProfile = {
  outcomes: {
    'a second, different key after 500 filler header lines': { parser: 431 },
    'a second, different key after 1,500 filler lines (Node drops lines past ~1,000)': {
      parser: 431,
    },
    'a DEL byte (0x7F) in the value': MALFORMED,
  },
  fuzzControlBytes: false,
  joinsRepeatedFields: true,
};

/**
 * Deno 2.x (hyper): refuses more than ~100 header lines and a 64 KiB value with 400; takes a lone
 * LF as the end of a header line, so the key before it arrives intact.
 */
export const DENO_PARSER: ParserProfile = {
  outcomes: {
    'X-API-Key sent 150 times with the same key': { parser: 400 },
    'a second, different key after 500 filler header lines': { parser: 400 },
    'a second, different key after 1,500 filler lines (Node drops lines past ~1,000)': {
      parser: 400,
    },
    'a lone LF after the key, then another header': OK,
    'a 64 KiB X-API-Key (over Node’s 16 KiB header limit)': { parser: 400 },
    'a 100,000-char near-miss Authorization': { parser: 400 },
    '2,000 identical X-API-Key lines (over the header limit)': { parser: 400 },
  },
  fuzzControlBytes: false,
  joinsRepeatedFields: true,
};

/**
 * workerd: no limit on header lines or sizes that these attacks reach (on Cloudflare the edge
 * limits them before the Worker), so every line reaches keyward: the 1,500-filler case is
 * refused as ambiguous, oversized values as malformed. Passes 0x01 and DEL on; takes a lone LF as
 * the end of a header line. Drops empty `Authorization` lines that come before its first
 * non-empty one (later ones, and empty lines of other fields, are kept): the Worker gets the very
 * request sent without them, so nothing can refuse them there (see `repeated-lines.ts`).
 */
export const WORKERD_PARSER: ParserProfile = {
  outcomes: {
    'an empty authorization line before a valid Bearer line': OK,
    'a whitespace-only authorization line before a valid Bearer line': OK,
    'two empty Authorization lines beside a valid X-API-Key': OK,
    'a second, different key after 1,500 filler lines (Node drops lines past ~1,000)': AMBIGUOUS,
    'a lone LF after the key, then another header': OK,
    'a control byte (0x01) in the value': MALFORMED,
    'a DEL byte (0x7F) in the value': MALFORMED,
    'a 64 KiB X-API-Key (over Node’s 16 KiB header limit)': MALFORMED,
    'a 100,000-char near-miss Authorization': MALFORMED,
    '2,000 identical X-API-Key lines (over the header limit)': AMBIGUOUS,
  },
  fuzzControlBytes: false,
  joinsRepeatedFields: true,
  dropsLeadingEmptyAuthorization: true,
};

/** Hono on Node (@hono/node-server): Node's parser, then fetch `Headers` built from its lines. */
export const HONO_NODE_PARSER: ParserProfile = {
  joinsRepeatedFields: true,
};

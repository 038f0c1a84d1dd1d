/**
 * Characters a terminal may act on instead of showing: C0 and C1 controls and DEL (category Cc:
 * ESC and CSI start escape sequences, OSC 52 writes the clipboard, a newline forges a line), and
 * the bidirectional marks, embeddings, overrides and isolates that make text display in another
 * order (ALM, LRM, RLM, LRE…RLO, LRI…PDI).
 */
const UNSAFE_TEXT = /[\p{Cc}\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;
/** The same minus C0, which `JSON.stringify` already escapes. */
const UNSAFE_IN_JSON = /[\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/gu;

const SHORT_ESCAPES: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

const hex = (char: string, digits: number) => char.charCodeAt(0).toString(16).padStart(digits, '0');

/**
 * Text from a store or the file system as it may reach a terminal: each control or bidi character
 * becomes a visible escape (`\n`, `\t`, `\x1b`, `\x9b`, `\u202e`); everything else is unchanged.
 */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE_TEXT, (char) => {
    const short = SHORT_ESCAPES[char];
    if (short !== undefined) return short;
    return char.charCodeAt(0) < 0x100 ? `\\x${hex(char, 2)}` : `\\u${hex(char, 4)}`;
  });
}

/**
 * `JSON.stringify` output with DEL, C1 and bidi controls written as `\u` escapes too, so the same
 * JSON value never puts them on a terminal. Such characters only occur inside strings there.
 */
export function escapeJsonControl(json: string): string {
  return json.replace(UNSAFE_IN_JSON, (char) => `\\u${hex(char, 4)}`);
}

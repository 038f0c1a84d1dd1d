/**
 * Repeated key-header lines as a fetch runtime hands them to a handler: one value per name, the
 * lines joined with ", " (see docs/runtimes.md, "Repeated headers on fetch runtimes"). Checks the
 * runtime against the model the attack table's fuzz relies on (`joinRepeated` and the runtime's
 * {@link ParserProfile}), and proves what no handler can detect: where a runtime drops empty
 * `Authorization` lines before the first non-empty one, the handler gets the same headers as for
 * the request sent without them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningApp } from './adapter-cases.js';
import { joinRepeated, type ParserProfile } from './attack-cases.js';
import { sendRaw } from './raw-http.js';

/** How to serve the echo app (`runtimes/host.ts`'s `echoHeaders`) on the runtime under test. */
export interface HeaderEchoHarness {
  readonly name: string;
  /** Serves an app answering `[...request.headers]` as JSON, on 127.0.0.1. */
  echo(): Promise<RunningApp>;
}

type Lines = ReadonlyArray<readonly [string, string]>;

const A = 'Authorization';
const X = 'X-API-Key';
const BEARER = 'Bearer acme_live_k';

/** One line per value, under `name`. */
const lines = (name: string, ...values: string[]): Lines => values.map((v) => [name, v] as const);

/** Line sets, each sent as it is (names in the case clients send). */
const LINE_SETS: ReadonlyArray<readonly [string, Lines]> = [
  ['an empty line, then a Bearer line', [...lines(A, ''), ...lines('authorization', BEARER)]],
  ['a whitespace-only line, then a Bearer line', lines(A, ' \t ', BEARER)],
  ['two empty lines, then a Bearer line', lines(A, '', '', BEARER)],
  ['a Bearer line, then an empty line', lines(A, BEARER, '')],
  ['two empty lines', lines(A, '', '')],
  ['one empty line', lines(A, '')],
  ['two Basic lines', lines(A, 'Basic dXNlcjpwdw==', 'Basic dXNlcjpwdw==')],
  [
    'an empty line between other headers, then a Bearer line',
    [...lines(A, ''), ...lines('X-Other', '1'), ...lines(A, BEARER)],
  ],
  ['two X-API-Key lines', [...lines(X, 'acme_live_k'), ...lines('x-api-key', 'acme_live_k')]],
  ['an empty X-API-Key line, then a key', lines(X, '', 'acme_live_k')],
  ['an X-API-Key line, then an empty one', lines(X, 'acme_live_k', '')],
];

/** What the echo app answers: the key headers as `headers.get` reads them, and every entry. */
type Seen = Readonly<Record<'authorization' | 'x-api-key', string | null>> & {
  readonly entries: Lines;
};

/**
 * The key headers as `headers.get` gives them, blanks at the end cut: @hono/node-server takes
 * Node's own joined value for most fields and cuts its trailing blanks ("k," where Bun has
 * "k, "); blanks around a part never change keyward's answer.
 */
function keyHeaders(
  values: Readonly<Partial<Record<'authorization' | 'x-api-key', string | null>>>,
) {
  const cut = (value: string | null | undefined) => value?.replace(/[ \t]+$/, '') ?? null;
  return { authorization: cut(values['authorization']), 'x-api-key': cut(values['x-api-key']) };
}

/**
 * Registers the repeated-lines measurements for one runtime under vitest.
 *
 * @example
 * ```ts
 * describeRepeatedLines(runtimeHarness('workerd', 'fetch'), WORKERD_PARSER);
 * ```
 */
export function describeRepeatedLines(harness: HeaderEchoHarness, parser: ParserProfile): void {
  describe(`${harness.name}: repeated key-header lines, as the handler gets them`, () => {
    let app: RunningApp;
    beforeAll(async () => {
      app = await harness.echo();
    });
    afterAll(() => app?.close());
    const seen = async (lines: Lines): Promise<Seen> => {
      const reply = await sendRaw(app.url, '/', lines);
      expect(reply.status).toBe(200);
      return JSON.parse(reply.text) as Seen;
    };

    for (const [name, lines] of LINE_SETS) {
      it(`joins ${name} as the attack table's model says`, async () => {
        const model = Object.fromEntries(joinRepeated(lines, parser));
        expect(keyHeaders(await seen(lines))).toEqual(keyHeaders(model));
      });
    }

    const drops = parser.dropsLeadingEmptyAuthorization === true;
    it(`${drops ? 'hands over the very same headers' : 'hands over other headers'} for an empty Authorization line before a Bearer line as for the Bearer line alone`, async () => {
      const withEmpty = await seen(lines(A, '', BEARER));
      const alone = await seen(lines(A, BEARER));
      if (drops) expect(withEmpty).toEqual(alone);
      else expect(withEmpty).not.toEqual(alone);
    });
  });
}

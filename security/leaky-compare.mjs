// Module hooks for `node security/timing.mjs --leaky` ONLY: they swap an early-exit digest compare
// into the built core as the timing harness loads it, so the harness can show that its gate goes
// red on a real leak. Nothing in packages/ imports this file and no package ships security/, so
// no published build can reach it; the core on disk is never changed.
//
// The swapped-in compare returns at the first differing byte, the textbook mistake: a presented
// digest that matches the stored one in its first 31 bytes takes 31 more loop steps than one that
// differs in its first byte. Comparison (e) of the harness times exactly that.

const NAME = 'digestDifferenceAt';

/** Same contract as core's compare (0 when equal, 0x100 out of range), but it exits early. */
const EARLY_EXIT_COMPARE = `
function ${NAME}(digest, arena, offset) {
  if (!(offset >= 0 && offset + 32 <= arena.length)) return 256;
  if (digest.length !== 32) return 1;
  for (let i = 0; i < 32; i++) if (digest[i] !== arena[offset + i]) return 1;
  return 0;
}
`;

/** Node's `load` hook: the core's built ESM entry, its digest compare replaced. */
export async function load(url, context, nextLoad) {
  const result = await nextLoad(url, context);
  if (!new URL(url).pathname.endsWith('/packages/core/dist/index.js')) return result;
  const source = String(result.source);
  const declaration = `function ${NAME}(`;
  const count = source.split(declaration).length - 1;
  if (count !== 1) {
    throw new Error(
      `leaky-compare: expected one ${declaration} in ${url}, found ${count}; ` +
        'update security/leaky-compare.mjs to the built core',
    );
  }
  // The original is renamed out of the way; every call now reaches the early-exit compare.
  const patched = source.replace(declaration, `function ${NAME}$honest(`) + EARLY_EXIT_COMPARE;
  return { ...result, source: patched };
}

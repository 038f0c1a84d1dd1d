import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));

/** Every import specifier of `file` (static imports and re-exports, types included). */
function importsOf(file: string): string[] {
  const source = readFileSync(file, 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '') // TSDoc examples import the package
    .replace(/^\s*\/\/.*$/gm, '');
  return [...source.matchAll(/\bfrom\s+'([^']+)'/g)].map((match) => match[1]!);
}

describe('the package root', () => {
  it('imports nothing but its own files: no node: module, no dependency (Bun, Deno, workerd)', () => {
    const seen = new Set<string>();
    const outside: string[] = [];
    const pending = [join(here, 'index.ts')];
    while (pending.length > 0 && seen.size < 200) {
      const file = pending.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      for (const specifier of importsOf(file)) {
        if (specifier.startsWith('.')) {
          pending.push(join(dirname(file), specifier.replace(/\.js$/, '.ts')));
        } else {
          outside.push(`${file.slice(here.length + 1)} imports ${specifier}`);
        }
      }
    }
    expect(seen.size).toBeGreaterThan(10);
    expect(outside).toEqual([]);
  });
});

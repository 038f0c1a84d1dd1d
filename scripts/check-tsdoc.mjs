// Checks that every export of every package entry point carries TSDoc with an @example, and that
// docs/api.md mentions every export of @keyward/core. Run by `pnpm lint`.
import { existsSync, readFileSync } from 'node:fs';
import ts from 'typescript';

const entries = [
  'packages/core/src/index.ts',
  'packages/core/src/testing/index.ts',
  'packages/express/src/index.ts',
  'packages/koa/src/index.ts',
  'packages/fastify/src/index.ts',
  'packages/fetch/src/index.ts',
  'packages/hono/src/index.ts',
  'packages/redis/src/index.ts',
  'packages/postgres/src/index.ts',
  'packages/sqlite/src/index.ts',
  'packages/cloudflare/src/index.ts',
  'packages/cli/src/index.ts',
  'packages/webhooks/src/index.ts',
  'packages/webhooks/src/express/index.ts',
  'packages/webhooks/src/koa/index.ts',
  'packages/webhooks/src/fastify/index.ts',
  'packages/opentelemetry/src/index.ts',
  'packages/console/src/index.ts',
].filter((file) => existsSync(file));

const program = ts.createProgram(entries, {
  target: ts.ScriptTarget.ES2022,
  module: ts.ModuleKind.ESNext,
  moduleResolution: ts.ModuleResolutionKind.Bundler,
  strict: true,
  skipLibCheck: true,
  noEmit: true,
});
const checker = program.getTypeChecker();
const problems = [];
const coreExports = [];

for (const entry of entries) {
  const source = program.getSourceFile(entry);
  const moduleSymbol = source && checker.getSymbolAtLocation(source);
  if (!moduleSymbol) continue;
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol =
      exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    if (entry === 'packages/core/src/index.ts') coreExports.push(exported.name);
    const declarations = symbol.declarations ?? [];
    const documented = declarations.some((declaration) => {
      const node = ts.isVariableDeclaration(declaration) ? declaration.parent.parent : declaration;
      return ts.getJSDocTags(node).some((tag) => tag.tagName.text === 'example');
    });
    if (!documented) problems.push(`${entry}: export ${exported.name} has no TSDoc @example`);
  }
}

const api = existsSync('docs/api.md') ? readFileSync('docs/api.md', 'utf8') : '';
for (const name of coreExports) {
  if (!api.includes(`\`${name}`)) problems.push(`docs/api.md does not mention ${name}`);
}

if (problems.length > 0) {
  console.error(problems.join('\n'));
  console.error(`\n${problems.length} documentation problem(s)`);
  process.exit(1);
}
console.log(`tsdoc: ${entries.length} entry points, every export documented with an example`);

/**
 * A prepared-statement name unique to `sql` (FNV-1a of the text), so two stores on different
 * tables sharing one connection never reuse each other's statements.
 */
export function statementName(purpose: string, sql: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < sql.length; i++) {
    hash ^= sql.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return `keyward_${purpose}_${hash.toString(16).padStart(8, '0')}`;
}

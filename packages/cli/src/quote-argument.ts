/**
 * An argument as error messages show it: short ones quoted, anything longer than 16 characters
 * (which a pasted key or secret always is) replaced by its length, so stderr never carries one.
 */
export function quoteArgument(text: string): string {
  return text.length <= 16 ? `'${text}'` : `(${text.length} characters, not shown)`;
}

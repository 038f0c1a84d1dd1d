export type { CliIo } from './command.js';
export type { ExitCode } from './exit-codes.js';
export { EXIT_CODES } from './exit-codes.js';
export { processIo, runCli } from './run.js';
export {
  parseDuration,
  parseExpires,
  parseMetadata,
  parseQuota,
  parseRateLimit,
} from './values.js';

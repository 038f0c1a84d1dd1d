export type {
  ConsoleOptions,
  ConsoleRequestInfo,
  KeywardConsole,
} from './create-console.js';
export { createConsole } from './create-console.js';
export { CONTENT_SECURITY_POLICY } from './headers.js';
export type { NodeHandler, NodeHandlerOptions } from './node-handler.js';

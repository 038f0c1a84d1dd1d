export type { ApiKeyAuthOptions, ExpressRejectHandler } from './api-key-auth.js';
export { apiKeyAuth } from './api-key-auth.js';

export type { ApiKeyAuthOptions, KoaRejectHandler } from './api-key-auth.js';
export { apiKeyAuth } from './api-key-auth.js';

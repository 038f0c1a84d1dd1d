export type { ApiKeyAuthOptions, HonoRejectHandler } from './api-key-auth.js';
export { apiKeyAuth } from './api-key-auth.js';

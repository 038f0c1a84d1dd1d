export type {
  ApiKeyAuthPluginOptions,
  FastifyRejectHandler,
  RouteApiKeyOptions,
} from './api-key-auth.js';
export { apiKeyAuth } from './api-key-auth.js';

export { toVerifyRequest } from './request.js';
export type {
  ClientIp,
  RequestRejection,
  RequestVerification,
  VerifyRequestOptions,
} from './verify-request.js';
export { verifyRequest } from './verify-request.js';
export type { FetchHandler, FetchRejectHandler, WithApiKeyOptions } from './with-api-key.js';
export { getApiKey, withApiKey } from './with-api-key.js';

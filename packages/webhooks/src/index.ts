export type { WebhookHeaders } from './headers.js';
export type { WebhookProblem, WebhookRejection, WebhookRejectionCode } from './receive/problem.js';
export { generateWebhookSecret } from './secret.js';
export type { MemorySeenIdStoreOptions } from './seen-ids/memory-seen-id-store.js';
export { MemorySeenIdStore } from './seen-ids/memory-seen-id-store.js';
export type { RedisSeenIdClient, RedisSeenIdStoreOptions } from './seen-ids/redis-seen-id-store.js';
export { RedisSeenIdStore } from './seen-ids/redis-seen-id-store.js';
export type { MaybePromise, SeenIdStore } from './seen-ids/types.js';
export type {
  SendOptions,
  SendWebhookOptions,
  WebhookAttempt,
  WebhookDelivery,
  WebhookSenderOptions,
} from './send/webhook-sender.js';
export { sendWebhook, WebhookSender } from './send/webhook-sender.js';
export type { SignWebhookOptions, WebhookSignatureHeaders } from './sign.js';
export { signWebhook } from './sign.js';
export type { VerifyWebhookOptions, VerifyWebhookResult, WebhookVerifyCode } from './verify.js';
export { verifyWebhook } from './verify.js';

export type { WebhookRejection, WebhookRejectionCode } from '../receive/problem.js';
export type { ReceivedWebhook, WebhookAuthOptions } from '../receive/receiver.js';
export type { ExpressWebhookAuthOptions, ExpressWebhookRejectHandler } from './webhook-auth.js';
export { webhookAuth } from './webhook-auth.js';

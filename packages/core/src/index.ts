export { prepareAdapterOptions, prepareVerifyOptions } from './adapter-support.js';
export type {
  Alert,
  AlertKind,
  AlertOptions,
  AlertThresholds,
  AlertWebhook,
} from './alerts/types.js';
export { isPromiseLike } from './async.js';
export type { AuditListOptions } from './audit/audit-trail.js';
export { auditRecordHash, sealAuditRecord } from './audit/seal.js';
export type {
  AuditActor,
  AuditChange,
  AuditContext,
  AuditDraft,
  AuditEntry,
  AuditEventType,
  AuditQuery,
  AuditRecord,
  AuditStore,
  AuditVerification,
} from './audit/types.js';
export {
  DuplicateKeyIdError,
  InvalidOptionsError,
  KeyNotFoundError,
  KeywardError,
  StoreUnavailableError,
  VersionConflictError,
} from './errors.js';
export { REJECTIONS } from './http/problem.js';
export type { HeaderBag } from './key/extract.js';
export type { KeyEnvironment, ParsedKey } from './key/format.js';
export { parseKey, redactKey } from './key/format.js';
export type { FoundKey } from './key/scan.js';
export { scanForKeys } from './key/scan.js';
export type {
  KeywardOptions,
  KeywardStats,
  SubscribeOptions,
  UsageRecordingOptions,
} from './keyward.js';
export { createKeyward, Keyward } from './keyward.js';
export { IssuedKey } from './lifecycle.js';
export type { Quota, QuotaPeriod, QuotaState } from './limits/quota.js';
export { countQuota, quotaWindow } from './limits/quota.js';
export type { BucketState, LimitResult, RateLimit } from './limits/token-bucket.js';
export { takeToken } from './limits/token-bucket.js';
export type { IpAllowList } from './policy/ip-allow-list.js';
export { compileIpAllowList } from './policy/ip-allow-list.js';
export type { ReferrerAllowList } from './policy/referrer.js';
export { compileReferrerAllowList } from './policy/referrer.js';
export type {
  LastUsedSource,
  ReviewFinding,
  ReviewFindingKind,
  ReviewPolicy,
} from './review.js';
export type { KeyStatus } from './stores/key-list-filter.js';
export {
  foldKeySearch,
  KEY_STATUSES,
  keySearchLikePattern,
  keyStatus,
  MAX_KEY_SEARCH_LENGTH,
  matchesKeyListQuery,
} from './stores/key-list-filter.js';
export { MemoryStore } from './stores/memory-store.js';
export type {
  InvalidationChannel,
  KeyListQuery,
  KeyPage,
  KeyRecord,
  KeyStore,
  LimitStore,
  MaybePromise,
} from './stores/types.js';
export type {
  CreateKeyOptions,
  KeyInfo,
  KeywardEvent,
  ListKeysOptions,
  ProblemDetails,
  RejectionCode,
  ResponseHeaders,
  UpdateKeyOptions,
  VerifyOptions,
  VerifyRejection,
  VerifyRequest,
  VerifyResult,
  VerifySuccess,
} from './types.js';
export type { UsageCell } from './usage/buckets.js';
export {
  bucketStart,
  querySubject,
  rollUpUsage,
  USAGE_BUCKET_MS,
  USAGE_OUTCOMES,
  usageRetention,
} from './usage/buckets.js';
export type {
  UsageOptions,
  UsageOutcomes,
  UsagePoint,
  UsageRouteTotal,
} from './usage/query.js';
export { MAX_USAGE_BUCKETS } from './usage/query.js';
export type {
  UsageGranularity,
  UsageOutcome,
  UsageQuery,
  UsageRetentionDays,
  UsageRow,
  UsageStore,
  UsageTotal,
} from './usage/types.js';

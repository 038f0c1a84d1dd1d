/** What the console's API sends, as JSON (dates are ISO strings). */
export interface KeyInfo {
  id: string;
  name: string;
  environment: string;
  redacted: string;
  type?: 'secret' | 'publishable';
  ownerId?: string;
  scopes: string[];
  ips?: string[];
  referrers?: string[];
  routes?: string[];
  rateLimit?: { capacity: number; refillPerSecond: number };
  quota?: { limit: number; period: string };
  disabled: boolean;
  createdAt: string;
  updatedAt: string;
  expiresAt?: string;
  revokedAt?: string;
  revokedReason?: string;
  rotatedAt?: string;
  previousSecretExpiresAt?: string;
  lastUsedAt?: string;
  metadata?: Record<string, unknown>;
  version: number;
}

export interface Issued {
  key: string;
  record: KeyInfo;
}

export interface Page<T> {
  items: T[];
  cursor?: string;
}

export interface UsagePoint {
  start: string;
  total: number;
  cost: number;
  outcomes: Record<string, number>;
}

export interface UsageRoute {
  route: string;
  total: number;
  outcomes?: Record<string, number>;
}

export interface Usage {
  range: string;
  granularity: string;
  points: UsagePoint[];
  routes: UsageRoute[];
}

export interface AuditEntry {
  seq: number;
  id: string;
  at: string;
  type: string;
  keyId: string;
  actor?: { type: string; id: string };
  reason?: string;
  changes?: Record<string, { from: unknown; to: unknown }>;
}

export interface Alert {
  id: string;
  kind: string;
  at: string;
  keyId?: string;
  ownerId?: string;
  detail: string;
}

export interface Finding {
  keyId: string;
  name: string;
  ownerId?: string;
  kind: string;
  detail: string;
}

export interface Config {
  prefix: string;
  environments: string[];
  admin: { id: string; name: string };
}

export type Status = 'active' | 'disabled' | 'revoked' | 'expired';

export function statusOf(key: KeyInfo, now = Date.now()): Status {
  if (key.revokedAt !== undefined) return 'revoked';
  if (key.expiresAt !== undefined && Date.parse(key.expiresAt) <= now) return 'expired';
  if (key.disabled) return 'disabled';
  return 'active';
}

import { randomBase62 } from '../key/base62.js';
import type { VerifyObservation, VerifyObserver } from '../observe.js';
import type { CachedKey } from '../record-cache.js';
import type { KeywardEvent } from '../types.js';
import { Cooldown } from './cooldown.js';
import { AlertDelivery } from './delivery.js';
import { NetworkMemory, networkOf } from './network.js';
import { QuotaLevels } from './quota-levels.js';
import { RESTRICTION_FAILURES, RestrictionFailures } from './restriction-failures.js';
import { SpikeMeter } from './spike.js';
import type { AlertConfig } from './thresholds.js';
import type { Alert, AlertKind } from './types.js';

const DAY = 86_400_000;

const MINUTE = 60_000;

/** What the detectors remember about one key (see docs/alerts.md for the memory bounds). */
class KeyWatch {
  readonly spike = new SpikeMeter();
  readonly networks = new NetworkMemory();
  failures: RestrictionFailures | undefined;
  quota: QuotaLevels | undefined;
  /** Dropped from the engine's map: a cached record holding it must look up a fresh one. */
  dropped = false;
  /** When to move the key to the young end of the map again (once a minute while in use). */
  refreshAt: number;
  /** When `new_network` starts reporting: the first sighting plus the learning period. */
  readonly learnUntil: number;
  constructor(
    readonly id: string,
    firstSeen: number,
    learningMs: number,
  ) {
    this.refreshAt = firstSeen + MINUTE;
    this.learnUntil = firstSeen + learningMs;
  }
}

function minutes(ms: number): string {
  const m = Math.max(0, Math.round(ms / 60_000));
  return m === 1 ? '1 minute' : `${m} minutes`;
}

/**
 * The alert detectors: a verify observer fed with every verification's outcome, plus the
 * anomaly events. Everything it needs is in the observation (no store reads); per-key state is
 * kept for at most `maxKeys` keys (the least recently active dropped first). Alerts pass a
 * cooldown per (kind, key) and go to {@link AlertDelivery}.
 */
export class AlertEngine implements VerifyObserver {
  readonly #config: AlertConfig;
  readonly #watches = new Map<string, KeyWatch>();
  readonly #cooldown: Cooldown;
  readonly #delivery: AlertDelivery;
  readonly #memoryMs: number;

  constructor(config: AlertConfig, emit: (event: KeywardEvent) => void) {
    this.#config = config;
    this.#cooldown = new Cooldown(config.cooldownMs, 4 * config.maxKeys + 1000);
    this.#delivery = new AlertDelivery({
      onAlert: config.onAlert,
      emit,
      webhook: config.webhook,
      maxQueue: config.maxQueue,
    });
    this.#memoryMs = config.thresholds.networkMemoryDays * DAY;
  }

  observe(o: VerifyObservation): void {
    const entry = o.entry;
    if (!o.secretMatched || entry === undefined) return;
    const t = this.#config.thresholds;
    const now = o.now;
    let watch = entry.alertWatch as KeyWatch | undefined;
    if (watch === undefined || watch.dropped) {
      watch = this.#watch(entry.record.id, now);
      entry.alertWatch = watch;
    }
    if (now >= watch.refreshAt) this.#refresh(watch, now);
    const spike = watch.spike.count(now, t);
    if (spike !== undefined) {
      this.#raise(
        'spike',
        entry,
        now,
        `${spike.count} requests in a minute, against a usual ${spike.average.toFixed(1)}`,
        {
          count: spike.count,
          average: spike.average,
          limit: spike.limit,
        },
      );
    }
    const ip = o.ip;
    if (ip !== undefined) {
      const network = watch.networks.see(
        ip,
        now,
        this.#memoryMs,
        t.maxNetworksPerKey,
        watch.learnUntil,
      );
      if (network !== undefined) {
        this.#raise(
          'new_network',
          entry,
          now,
          `used from ${network}, a network not seen for this key in ${t.networkMemoryDays} days`,
          {
            ip,
            network,
            outcome: o.outcome,
          },
        );
      }
    }
    if (o.quota !== undefined && entry.record.quota != null) {
      watch.quota ??= new QuotaLevels();
      const level = watch.quota.see(entry.record.quota, o.quota, now, t.quotaPercents);
      if (level !== undefined) {
        const { period } = entry.record.quota;
        this.#raise(
          'quota_threshold',
          entry,
          now,
          `${level.percent} % of the ${period}'s quota used (${level.used} of ${level.limit})`,
          { ...level, period },
          String(level.percent),
        );
      }
    }
    if (o.previousSecret) this.#graceSecret(o, entry, now);
    const outcome = o.outcome;
    if (outcome === 'verified') return;
    if (outcome === 'revoked_key') {
      const network = ip === undefined ? undefined : networkOf(ip);
      this.#raise(
        'revoked_key_used',
        entry,
        now,
        'the correct secret of a revoked key was presented',
        {
          ip,
          network,
          revokedAt: entry.record.revokedAt,
        },
      );
    } else if (RESTRICTION_FAILURES.has(outcome)) {
      watch.failures ??= new RestrictionFailures();
      const burst = watch.failures.add(outcome, now, t.rejectionBurst, t.rejectionBurstWindowMs);
      if (burst !== undefined) {
        this.#raise(
          'rejection_burst',
          entry,
          now,
          `${burst.count} requests with the right secret failed the key's restrictions within ${minutes(t.rejectionBurstWindowMs)}`,
          {
            ...burst,
            windowMs: t.rejectionBurstWindowMs,
            ip,
          },
        );
      }
    }
  }

  /** The anomaly events: `failed_attempts` and `store_error`, deduplicated deployment-wide. */
  anomaly(event: Extract<KeywardEvent, { type: 'anomaly' }>): void {
    const now = event.at.getTime();
    const held = this.#cooldown.pass(event.kind, now);
    if (held === undefined) return;
    const data: Record<string, unknown> = { held };
    if (event.ip !== undefined) data.ip = event.ip;
    if (event.keyId !== undefined) data.keyId = event.keyId;
    // A store's error text is the driver's (it may quote a connection string or a value): it stays
    // in the local anomaly event, and the alert, which may leave the process, says which store.
    const detail =
      event.kind === 'store_error'
        ? `the ${event.store ?? 'key'} store failed (its error is in the local store_error event)`
        : event.detail;
    this.#delivery.deliver(this.#alert(event.kind, undefined, now, detail, data));
  }

  /** Stops delivery (see {@link AlertDelivery.close}). */
  close(): Promise<void> {
    return this.#delivery.close();
  }

  #graceSecret(o: VerifyObservation, entry: CachedKey, now: number): void {
    const ends = entry.record.previousHashExpiresAt;
    if (ends == null) return;
    const left = ends - now;
    const data = { ip: o.ip, graceEndsAt: new Date(ends).toISOString(), outcome: o.outcome };
    if (left <= 0) {
      this.#raise(
        'grace_secret_used',
        entry,
        now,
        'the secret replaced by the last rotation is still used, after its grace period ended',
        { ...data, phase: 'ended' },
        'ended',
      );
      return;
    }
    this.#raise(
      'grace_secret_used',
      entry,
      now,
      `the secret replaced by the last rotation is still used; it stops working in ${minutes(left)}`,
      { ...data, phase: 'grace' },
      'grace',
    );
    if (left <= this.#config.thresholds.graceWarningMs) {
      this.#raise(
        'grace_secret_used',
        entry,
        now,
        `the old secret is still used and its grace period ends in ${minutes(left)}`,
        { ...data, phase: 'ending' },
        'ending',
      );
    }
  }

  /** The key's state: the one remembered, or a new one (dropping the least recently active). */
  #watch(id: string, now: number): KeyWatch {
    const watches = this.#watches;
    const known = watches.get(id);
    if (known !== undefined) return known;
    const watch = new KeyWatch(id, now, this.#config.thresholds.networkLearningMs);
    watches.set(id, watch);
    if (watches.size > this.#config.maxKeys) {
      const oldest = watches.values().next().value;
      if (oldest !== undefined) {
        oldest.dropped = true;
        watches.delete(oldest.id);
      }
    }
    return watch;
  }

  /** Moves a key in use to the young end of the map, so the least recently active goes first. */
  #refresh(watch: KeyWatch, now: number): void {
    watch.refreshAt = now + MINUTE;
    this.#watches.delete(watch.id);
    this.#watches.set(watch.id, watch);
  }

  #raise(
    kind: AlertKind,
    entry: CachedKey,
    now: number,
    detail: string,
    data: Record<string, unknown>,
    phase = '',
  ): void {
    const held = this.#cooldown.pass(`${kind} ${entry.record.id} ${phase}`, now);
    if (held === undefined) return;
    const record = entry.record;
    const alert = this.#alert(kind, record.ownerId, now, detail, { ...data, held }, record.id);
    this.#delivery.deliver(alert);
  }

  #alert(
    kind: AlertKind,
    ownerId: string | undefined,
    now: number,
    detail: string,
    data: Record<string, unknown>,
    keyId?: string,
  ): Alert {
    for (const name of Object.keys(data)) if (data[name] === undefined) delete data[name];
    const alert: { -readonly [K in keyof Alert]: Alert[K] } = {
      id: `alrt_${randomBase62(22)}`,
      kind,
      at: new Date(now),
      detail,
      data: Object.freeze(data),
    };
    if (keyId !== undefined) alert.keyId = keyId;
    if (ownerId !== undefined) alert.ownerId = ownerId;
    return Object.freeze(alert);
  }
}

import type { Keyward, KeywardEvent } from '@keyward/core';
import { type Attributes, type MeterProvider, metrics } from '@opentelemetry/api';

/**
 * Options of {@link instrumentKeyward}.
 *
 * @example
 * ```ts
 * instrumentKeyward(keyward, { meterProvider });
 * ```
 */
export interface InstrumentKeywardOptions {
  /** The provider to record with; default the global one (`metrics.getMeterProvider()`). */
  meterProvider?: MeterProvider | undefined;
}

/**
 * What {@link instrumentKeyward} returns: `stop()` detaches the instruments (idempotent).
 *
 * @example
 * ```ts
 * const instrumentation = instrumentKeyward(keyward);
 * instrumentation.stop();
 * ```
 */
export interface KeywardInstrumentation {
  stop(): void;
}

/** The instrumentation scope's name, as exporters show it. */
const SCOPE = '@keyward/opentelemetry';
const SCOPE_VERSION = '0.1.0';

/**
 * Histogram buckets in seconds: verify takes microseconds when the key is cached, a store round
 * trip (ms) when not, up to the store timeout.
 */
const DURATION_BUCKETS = [
  0.000_005, 0.000_01, 0.000_025, 0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01,
  0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5,
];

/**
 * Records keyward's metrics through `@opentelemetry/api` (bring the SDK and an exporter):
 *
 * | instrument | kind | attributes |
 * |---|---|---|
 * | `keyward.verifications` | counter | `keyward.outcome` (`verified` or a rejection code), `keyward.environment` (when a stored key's secret matched) |
 * | `keyward.verify.duration` | histogram, seconds | the same |
 * | `keyward.store.errors` | counter | `keyward.store`: `key`, `limit` or `usage` |
 * | `keyward.usage.dropped` | counter | — (verifications whose usage did not fit in `maxPending`) |
 * | `keyward.cache.entries` | gauge | — (records in the verify cache) |
 *
 * Attributes are bounded: never a key id, an owner, an IP or a URL. It listens through
 * `keyward.subscribe(…, { timing: true })`, so verify reads a timer only once instrumented.
 *
 * @example
 * ```ts
 * import { MeterProvider } from '@opentelemetry/sdk-metrics';
 * import { PrometheusExporter } from '@opentelemetry/exporter-prometheus';
 * import { instrumentKeyward } from '@keyward/opentelemetry';
 *
 * const meterProvider = new MeterProvider({ readers: [new PrometheusExporter({ port: 9464 })] });
 * instrumentKeyward(keyward, { meterProvider });
 * ```
 */
export function instrumentKeyward(
  keyward: Keyward,
  options: InstrumentKeywardOptions = {},
): KeywardInstrumentation {
  if (
    typeof (keyward as Partial<Keyward> | undefined)?.subscribe !== 'function' ||
    typeof keyward.stats !== 'function'
  ) {
    throw new TypeError('instrumentKeyward() needs a Keyward instance from createKeyward()');
  }
  if (typeof options !== 'object' || options === null) {
    throw new TypeError('instrumentKeyward() options must be an object');
  }
  const provider = options.meterProvider ?? metrics.getMeterProvider();
  if (typeof provider?.getMeter !== 'function') {
    throw new TypeError('meterProvider must be an OpenTelemetry MeterProvider');
  }
  const meter = provider.getMeter(SCOPE, SCOPE_VERSION);
  const verifications = meter.createCounter('keyward.verifications', {
    description: 'API key verifications, by outcome',
    unit: '{verification}',
  });
  const duration = meter.createHistogram('keyward.verify.duration', {
    description: 'How long keyward.verify took',
    unit: 's',
    advice: { explicitBucketBoundaries: DURATION_BUCKETS },
  });
  const storeErrors = meter.createCounter('keyward.store.errors', {
    description: 'Store calls that failed or timed out, by store',
    unit: '{error}',
  });
  const dropped = meter.createCounter('keyward.usage.dropped', {
    description: 'Verifications whose usage was not recorded (usage.maxPending reached)',
    unit: '{verification}',
  });
  const cacheEntries = meter.createObservableGauge('keyward.cache.entries', {
    description: 'Records in the verify cache',
    unit: '{record}',
  });
  const observeCache = (result: { observe(value: number): void }) => {
    result.observe(keyward.stats().cacheEntries);
  };
  cacheEntries.addCallback(observeCache);

  // One frozen attribute set per (outcome, environment), so recording allocates nothing.
  const attributeSets = new Map<string, Map<string, Attributes>>();
  const attributesOf = (outcome: string, environment: string | undefined): Attributes => {
    let byEnvironment = attributeSets.get(outcome);
    if (byEnvironment === undefined) {
      byEnvironment = new Map();
      attributeSets.set(outcome, byEnvironment);
    }
    const key = environment ?? '';
    let attributes = byEnvironment.get(key);
    if (attributes === undefined) {
      attributes = Object.freeze(
        environment === undefined
          ? { 'keyward.outcome': outcome }
          : { 'keyward.outcome': outcome, 'keyward.environment': environment },
      );
      byEnvironment.set(key, attributes);
    }
    return attributes;
  };
  const storeAttributes = new Map<string, Attributes>();

  const record = (event: KeywardEvent) => {
    switch (event.type) {
      case 'key.verified':
      case 'key.rejected': {
        const attributes = attributesOf(
          event.type === 'key.verified' ? 'verified' : event.code,
          event.environment,
        );
        verifications.add(1, attributes);
        if (event.durationMs !== undefined) duration.record(event.durationMs / 1000, attributes);
        return;
      }
      case 'anomaly': {
        if (event.kind !== 'store_error' || event.store === undefined) return;
        let attributes = storeAttributes.get(event.store);
        if (attributes === undefined) {
          attributes = Object.freeze({ 'keyward.store': event.store });
          storeAttributes.set(event.store, attributes);
        }
        storeErrors.add(1, attributes);
        return;
      }
      case 'usage.dropped':
        dropped.add(event.count);
        return;
      default:
        return;
    }
  };
  const unsubscribe = keyward.subscribe(record, { timing: true });
  let stopped = false;
  return {
    stop() {
      if (stopped) return;
      stopped = true;
      unsubscribe();
      cacheEntries.removeCallback(observeCache);
    },
  };
}

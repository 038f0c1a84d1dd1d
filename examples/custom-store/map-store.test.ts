// keyward's conformance suite, run against the TypeScript source of MapStore. Passing it is how a
// custom store proves it behaves like the stores keyward ships.
import { describeKeyStore, describeLimitStore } from '@keyward/core/testing';
import { MapStore } from './map-store.js';

describeKeyStore('MapStore', () => new MapStore({ delayMs: 2 }));
describeLimitStore('MapStore', () => new MapStore({ delayMs: 2 }));

import {
  describeAuditStore,
  describeKeyStore,
  describeLimitStore,
  describeUsageStore,
} from '@keyward/core/testing';
import { MemoryStore } from './memory-store.js';

describeKeyStore('MemoryStore', () => new MemoryStore());
describeLimitStore('MemoryStore', () => new MemoryStore());
describeAuditStore('MemoryStore', () => new MemoryStore());
const shared = new MemoryStore();
describeUsageStore('MemoryStore', () => shared);

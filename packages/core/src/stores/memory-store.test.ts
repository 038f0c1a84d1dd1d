import { describeAuditStore, describeKeyStore, describeLimitStore } from '@keyward/core/testing';
import { MemoryStore } from './memory-store.js';

describeKeyStore('MemoryStore', () => new MemoryStore());
describeLimitStore('MemoryStore', () => new MemoryStore());
describeAuditStore('MemoryStore', () => new MemoryStore());

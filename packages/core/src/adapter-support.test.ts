import { describe, expect, it } from 'vitest';
import { prepareAdapterOptions, prepareVerifyOptions } from './adapter-support.js';
import type { Keyward } from './keyward.js';
import { createKeyward } from './keyward.js';
import { MemoryStore } from './stores/memory-store.js';

const keyward = createKeyward({ prefix: 'acme', store: new MemoryStore() });

describe('adapter support', () => {
  it('prepares frozen verify options, each field falling back to the defaults', () => {
    const prepared = prepareVerifyOptions(keyward, { cost: 2 }, { scopes: ['items:read'] });
    expect(prepared).toEqual({ scopes: ['items:read'], cost: 2 });
    expect(Object.isFrozen(prepared)).toBe(true);
    expect(Object.isFrozen(prepared.scopes)).toBe(true);
    expect(() => prepareVerifyOptions(keyward, { scopes: ['not a scope'] })).toThrow(TypeError);
  });

  it('checks what an adapter was given, naming the problem', () => {
    const onReject = () => undefined;
    const ok = prepareAdapterOptions(keyward, { scopes: ['items:read'], onReject }, 'no keyward');
    expect(ok.keyward).toBe(keyward);
    expect(ok.onReject).toBe(onReject);
    expect(ok.verifyOptions).toEqual({ scopes: ['items:read'] });
    expect(() => prepareAdapterOptions(undefined, {}, 'no keyward')).toThrow('no keyward');
    expect(() => prepareAdapterOptions({} as Keyward, {}, 'no keyward')).toThrow('no keyward');
    expect(() => prepareAdapterOptions(keyward, null as never, 'x')).toThrow(
      'options must be an object',
    );
    expect(() => prepareAdapterOptions(keyward, { onReject: 42 }, 'x')).toThrow(
      'onReject must be a function',
    );
    expect(() => prepareAdapterOptions(keyward, { cost: 0 }, 'x')).toThrow(TypeError);
  });
});

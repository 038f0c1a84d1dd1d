import type { Alert, Keyward } from '@keyward/core';

/**
 * The newest alerts keyward raised in this process, at most `size` of them: alerts are in-process
 * events, so the console keeps its own bounded copy from the moment it was created.
 */
export class AlertBuffer {
  readonly #items: Alert[] = [];
  readonly #size: number;
  #dropped = 0;
  readonly #unsubscribe: () => void;

  constructor(keyward: Keyward, size: number) {
    this.#size = size;
    this.#unsubscribe = keyward.subscribe((event) => {
      if (event.type !== 'alert') return;
      this.#items.push(event.alert);
      if (this.#items.length > this.#size) {
        this.#items.shift();
        this.#dropped++;
      }
    });
  }

  /** Newest first, optionally one key's. */
  list(keyId?: string): { items: Alert[]; dropped: number } {
    const items = this.#items.filter((alert) => keyId === undefined || alert.keyId === keyId);
    return { items: items.reverse(), dropped: this.#dropped };
  }

  close(): void {
    this.#unsubscribe();
  }
}

/** The console's JSON API, called with the admin key from sessionStorage (never a cookie). */

const meta = document.querySelector('meta[name="keyward-console-base"]');
export const BASE = meta?.getAttribute('content') ?? '';
const STORAGE_KEY = 'keyward-console-admin-key';

export const session = {
  get: (): string | null => sessionStorage.getItem(STORAGE_KEY),
  set: (key: string): void => sessionStorage.setItem(STORAGE_KEY, key),
  clear: (): void => sessionStorage.removeItem(STORAGE_KEY),
};

/** A refusal from the console's API: its status, keyward's `code` and the `detail` to show. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    readonly detail: string,
  ) {
    super(detail);
  }
}

let onSignedOut: (() => void) | undefined;
/** Called when the API refuses the stored admin key (revoked, expired…). */
export function whenSignedOut(listener: () => void): void {
  onSignedOut = listener;
}

export async function request<T>(
  method: 'GET' | 'POST' | 'PATCH',
  path: string,
  body?: unknown,
  key: string | null = session.get(),
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key !== null) headers['authorization'] = `Bearer ${key}`;
  const init: RequestInit = {
    method,
    headers,
    cache: 'no-store',
    credentials: 'omit',
    referrerPolicy: 'no-referrer',
  };
  if (body !== undefined) {
    headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response: Response;
  try {
    response = await fetch(`${BASE}/api${path}`, init);
  } catch {
    throw new ApiError(0, 'network_error', 'The console could not reach the server.');
  }
  const data = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (!response.ok) {
    const code = typeof data['code'] === 'string' ? data['code'] : 'error';
    const detail =
      typeof data['detail'] === 'string'
        ? data['detail']
        : typeof data['title'] === 'string'
          ? data['title']
          : `HTTP ${response.status}`;
    if (response.status === 401 && key !== null && key === session.get()) {
      session.clear();
      onSignedOut?.();
    }
    throw new ApiError(response.status, code, detail);
  }
  return data as T;
}

export const get = <T>(path: string) => request<T>('GET', path);
export const post = <T>(path: string, body: unknown = {}) => request<T>('POST', path, body);
export const patch = <T>(path: string, body: unknown) => request<T>('PATCH', path, body);

export const query = (params: Record<string, string | number | undefined>) => {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value !== undefined && value !== '') search.set(name, String(value));
  }
  const text = search.toString();
  return text === '' ? '' : `?${text}`;
};

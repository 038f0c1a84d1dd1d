import { SCRIPT, STYLE } from './generated/assets.js';

/** A built UI file, served from memory. */
export interface Asset {
  readonly name: string;
  readonly type: string;
  readonly text: string;
  /** The gzip of `text`, base64. */
  readonly gzip: string;
}

/** The UI's files by name (`app.<hash>.js`, `app.<hash>.css`). */
export const ASSETS: ReadonlyMap<string, Asset> = new Map([
  [SCRIPT.name, SCRIPT],
  [STYLE.name, STYLE],
]);

export const SCRIPT_NAME: string = SCRIPT.name;
export const STYLE_NAME: string = STYLE.name;

const decoded = new Map<string, Uint8Array>();

/** The gzip bytes of an asset, decoded once. */
export function gzipBytes(asset: Asset): Uint8Array {
  let bytes = decoded.get(asset.name);
  if (bytes === undefined) {
    const binary = atob(asset.gzip);
    bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
    decoded.set(asset.name, bytes);
  }
  return bytes;
}

/** A readable byte stream: Node's IncomingMessage, or the payload stream Fastify hands preParsing. */
export interface BodyStream {
  on(event: 'data', listener: (chunk: Buffer) => void): unknown;
  on(event: 'end' | 'close', listener: () => void): unknown;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  removeListener(event: string, listener: (...args: never[]) => void): unknown;
  pause(): unknown;
}

/**
 * Reads a request body as raw bytes, at most `maxBytes` of them: the bytes, `too_large` as soon as
 * more arrive (the rest is left unread: the rejection closes the connection), or `aborted` when
 * the stream fails or closes first.
 */
export function readBody(
  stream: BodyStream,
  maxBytes: number,
): Promise<Buffer | 'too_large' | 'aborted'> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (result: Buffer | 'too_large' | 'aborted') => {
      stream.removeListener('data', onData);
      stream.removeListener('end', onEnd);
      stream.removeListener('error', onFailure);
      stream.removeListener('close', onFailure);
      resolve(result);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        stream.pause();
        finish('too_large');
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = () => finish(Buffer.concat(chunks, size));
    const onFailure = () => finish('aborted');
    stream.on('data', onData);
    stream.on('end', onEnd);
    stream.on('error', onFailure);
    stream.on('close', onFailure);
  });
}

const JSON_TYPE = /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i;

/**
 * The body a route sees after verification: JSON parsed when the content type is JSON (`undefined`
 * for an empty body), the raw bytes otherwise; `malformed` when JSON does not parse.
 */
export function parsedBody(
  rawBody: Buffer,
  contentType: string | undefined,
): { readonly body: unknown } | 'malformed' {
  if (contentType === undefined || !JSON_TYPE.test(contentType)) return { body: rawBody };
  if (rawBody.length === 0) return { body: undefined };
  try {
    return { body: JSON.parse(rawBody.toString('utf8')) };
  } catch {
    return 'malformed';
  }
}

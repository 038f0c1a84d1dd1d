// Attributes the samples of a V8 CPU profile to keyward's own code. Used by the http section's
// profiled run (bench/_http-server.mjs) and by bench/_profile-summary.mjs. Not a section.

/**
 * The adapter functions that hand a request on (`next()` in Express and Koa, `done()` in Fastify:
 * `settle` after a verify; Fastify's `keywardUnseenRoute` preParsing fallback and
 * `keywardOpenRoute` straight away): what they call outside keyward's code is the rest of the
 * request, not keyward's work.
 */
const HANDS_ON = new Set(['settle', 'keywardUnseenRoute', 'keywardOpenRoute']);

function inPackages(frame) {
  return frame.url.includes('/packages/') && !frame.url.includes('/node_modules/');
}

/** `core`, `express`, … : the package a built keyward frame belongs to. */
function packageOf(frame) {
  return /\/packages\/([^/]+)\//.exec(frame.url)?.[1] ?? '?';
}

/**
 * Splits a profile's busy samples into keyward's own work and the rest. A sample is keyward's when
 * its nearest frame from packages/ (keyward's built code) is a keyward function, unless that frame
 * is the adapter's `settle` and the sample is inside what it handed the request on to (the route,
 * the framework writing the response). Framework code the adapter calls itself (`req.ip`,
 * `res.setHeader`) counts as keyward's.
 * Garbage collection is never attributed, so the share is a lower bound. Returns counts, the
 * share, and the keyward samples grouped by package and by the keyward function they were in
 * (`core verify`, `express setHeaders`, …).
 *
 * @example
 * const { share, byFunction } = attributeProfile(profile);
 */
export function attributeProfile(profile) {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parentOf = new Map();
  for (const node of profile.nodes) {
    for (const child of node.children ?? []) parentOf.set(child, node.id);
  }
  const ownerCache = new Map();
  function ownerOf(id) {
    if (ownerCache.has(id)) return ownerCache.get(id);
    let owner = null;
    let below;
    for (let at = id; at !== undefined; at = parentOf.get(at)) {
      const frame = byId.get(at).callFrame;
      if (inPackages(frame)) {
        const handedOn =
          HANDS_ON.has(frame.functionName) &&
          below !== undefined &&
          !inPackages(byId.get(below).callFrame);
        owner = handedOn ? null : `${packageOf(frame)} ${frame.functionName || '(anonymous)'}`;
        break;
      }
      below = at;
    }
    ownerCache.set(id, owner);
    return owner;
  }

  let idle = 0;
  let busy = 0;
  let keyward = 0;
  const byFunction = new Map();
  const byPackage = new Map();
  for (const id of profile.samples) {
    const frame = byId.get(id).callFrame;
    if (frame.functionName === '(idle)') {
      idle += 1;
      continue;
    }
    busy += 1;
    const owner = ownerOf(id);
    if (owner === null) continue;
    keyward += 1;
    byFunction.set(owner, (byFunction.get(owner) ?? 0) + 1);
    const name = owner.slice(0, owner.indexOf(' '));
    byPackage.set(name, (byPackage.get(name) ?? 0) + 1);
  }
  return {
    busySamples: busy,
    idleSamples: idle,
    keywardSamples: keyward,
    share: busy === 0 ? 0 : keyward / busy,
    byPackage: Object.fromEntries(byPackage),
    byFunction: [...byFunction.entries()].sort((a, b) => b[1] - a[1]),
  };
}

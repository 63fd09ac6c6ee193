import type { EmpowerIDClient } from './client.js';
import { type TokenCacheSettings, TokenVerifier } from './introspection.js';

/**
 * One verifier, and so one cache, per client and cache settings. Guards that agree on how long
 * answers live share what the IdP said; guards that do not get caches of their own, so no guard's
 * settings are decided by whichever guard served the first request.
 */
const byClient = new WeakMap<EmpowerIDClient, Map<string, TokenVerifier>>();
const storeIds = new WeakMap<object, number>();
let nextStoreId = 1;

export function verifierFor(client: EmpowerIDClient, settings: TokenCacheSettings): TokenVerifier {
  let verifiers = byClient.get(client);
  if (!verifiers) {
    verifiers = new Map();
    byClient.set(client, verifiers);
  }
  const key = settingsKey(settings);
  let verifier = verifiers.get(key);
  if (!verifier) {
    verifier = new TokenVerifier(client, pickSettings(settings));
    verifiers.set(key, verifier);
    client.warmUp();
  }
  return verifier;
}

function settingsKey(s: TokenCacheSettings): string {
  let store = 0;
  if (s.store !== null && typeof s.store === 'object') {
    store = storeIds.get(s.store) ?? nextStoreId++;
    storeIds.set(s.store, store);
  } else if (s.store !== undefined) {
    store = -nextStoreId++; // not a store: never shared, so the cache's own validation reports it
  }
  let shared = 0;
  if (s.shared !== null && typeof s.shared === 'object') {
    shared = storeIds.get(s.shared) ?? nextStoreId++;
    storeIds.set(s.shared, shared);
  } else if (s.shared !== undefined) {
    shared = -nextStoreId++;
  }
  return `${String(s.cacheMaxTtlSeconds)}|${String(s.negativeTtlSeconds)}|${String(s.cacheMaxEntries)}|${store}|${shared}|${String(s.onSharedFailure)}|${String(s.concurrentUserinfo)}`;
}

function pickSettings(s: TokenCacheSettings): TokenCacheSettings {
  return {
    ...(s.cacheMaxTtlSeconds !== undefined && { cacheMaxTtlSeconds: s.cacheMaxTtlSeconds }),
    ...(s.negativeTtlSeconds !== undefined && { negativeTtlSeconds: s.negativeTtlSeconds }),
    ...(s.cacheMaxEntries !== undefined && { cacheMaxEntries: s.cacheMaxEntries }),
    ...(s.store !== undefined && { store: s.store }),
    ...(s.shared !== undefined && { shared: s.shared }),
    ...(s.onSharedFailure !== undefined && { onSharedFailure: s.onSharedFailure }),
    ...(s.concurrentUserinfo !== undefined && { concurrentUserinfo: s.concurrentUserinfo }),
  };
}

/**
 * Web origins from an export's URL fields (issue 17): where an imported account's code may later
 * be filled. Only the origin of an http(s) URL is kept, in the canonical form core/origin.ts
 * gives; anything else (a bare host, an app URI, plain http off loopback) is dropped and counted.
 */
import { MAX_ORIGINS, parseOrigin } from '../../core/origin.js';

export interface FoundOrigins {
  origins: string[];
  dropped: number;
}

export function originsFrom(urls: readonly unknown[]): FoundOrigins {
  const origins = new Set<string>();
  let dropped = 0;
  for (const u of urls) {
    if (typeof u !== 'string' || u.trim() === '') continue;
    try {
      if (!/^https?:\/\//i.test(u.trim())) throw new Error('not a web URL');
      const o = parseOrigin(new URL(u.trim()).origin);
      if (origins.size < MAX_ORIGINS) origins.add(o);
      else dropped++;
    } catch {
      dropped++;
    }
  }
  return { origins: [...origins].sort(), dropped };
}

export function stale(root?: string): boolean;
export function buildIfStale(root?: string): boolean;

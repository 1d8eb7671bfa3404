// Small helpers shared by the benchmark scripts.
const sorted = (xs) => [...xs].sort((a, b) => a - b);
export const median = (xs) => sorted(xs)[Math.floor(xs.length / 2)];
export const pct = (xs, p) => sorted(xs)[Math.min(xs.length - 1, Math.floor((xs.length * p) / 100))];
export const round = (x, d = 2) => Math.round(x * 10 ** d) / 10 ** d;
export const time = (fn) => {
  const t0 = performance.now();
  fn();
  return performance.now() - t0;
};
export const timeAsync = async (fn) => {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
};

/**
 * Code that runs inside the page, kept as text: it is typed against the DOM, which the rest of
 * this Node program must not see. The browser tests run every branch of it.
 */

/** Whether the page is the one the person (or the agent's browser tool) has in front. */
export const PAGE_FOCUSED = `document.visibilityState === 'visible' && document.hasFocus()`;

/**
 * Finds the one field to fill: the selector's single match; else the focused input; else the single
 * visible input with autocomplete=one-time-code; else the single visible input whose name, id,
 * placeholder, aria-label or label says it wants a code. Returns {el, how, desc} or {how, error}:
 * `desc` names the field by id or name only when that is a plain identifier (page text is not
 * passed on to the model).
 */
export const FIND_FIELD = (selector: string | null): string => `(() => {
  const selector = ${JSON.stringify(selector)};
  const textual = (e) => e instanceof HTMLInputElement && ['text', 'tel', 'number', 'password', ''].includes(e.type);
  const usable = (e) => {
    if (!textual(e) || e.disabled || e.readOnly) return false;
    const r = e.getBoundingClientRect();
    const s = getComputedStyle(e);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none';
  };
  const plain = (t) => typeof t === 'string' && /^[A-Za-z0-9_-]{1,40}$/.test(t);
  const describe = (e) => (plain(e.id) ? 'input#' + e.id : plain(e.getAttribute('name')) ? 'input[name=' + e.getAttribute('name') + ']' : 'input');
  const found = (e, how) => ({ el: e, how, desc: describe(e) });
  const one = (list, how) => (list.length === 1 ? found(list[0], how) : list.length > 1 ? { how, error: 'ambiguous' } : null);
  if (selector !== null) {
    let list;
    try {
      list = [...document.querySelectorAll(selector)].filter(usable);
    } catch {
      return { how: 'selector', error: 'selector' };
    }
    return one(list, 'selector') ?? { how: 'selector', error: 'none' };
  }
  const active = document.activeElement;
  if (active && usable(active)) return found(active, 'focused');
  const otc = [...document.querySelectorAll('input[autocomplete~="one-time-code" i]')].filter(usable);
  const byAutocomplete = one(otc, 'autocomplete=one-time-code');
  if (byAutocomplete) return byAutocomplete;
  const words = /otp|totp|2fa|mfa|one.?time|verification|auth.?code|\\bcode\\b/i;
  const named = [...document.querySelectorAll('input')].filter((e) => {
    if (!usable(e)) return false;
    const labels = [...(e.labels ?? [])].map((l) => l.textContent).join(' ');
    return words.test([e.name, e.id, e.placeholder, e.getAttribute('aria-label') ?? '', labels].join(' '));
  });
  return one(named, 'name or label') ?? { how: 'search', error: 'none' };
})()`;

import { compiled, type CompiledRule } from './compile.js';
import { matchRequest } from './evaluate.js';
import { isAccountId, selectorCovers, selectorMatches } from './selectors.js';
import { ACTIONS, type AccountRef, type Policy, type PolicyRule } from './types.js';

/**
 * `totp-mcp policy lint`: things that are legal but almost certainly not what was meant.
 *
 *  - `shadowed`: the rule can never decide anything, whatever the vault holds, because an earlier
 *    allow rule covers all its agents, accounts and actions (the earlier rule decides even when
 *    its own conditions fail, see evaluate.ts), or a deny rule covers it. Coverage of selectors is
 *    checked conservatively: a warning is only given when it is certain.
 *  - `unreachable`: with the accounts now in the vault, the rule matches some requests but a
 *    combination of other rules decides every one of them.
 *  - `unused_agent`: a declared agent that no rule names (and no `*` allow rule applies to).
 *  - `no_matching_account`: none of the rule's account selectors matches an account in the vault.
 *  - `selector_matches_nothing`: one selector of a rule matches no account (a likely typo), while
 *    others do.
 */

type LintCode = 'shadowed' | 'unreachable' | 'unused_agent' | 'no_matching_account' | 'selector_matches_nothing';

export interface PolicyWarning {
  readonly code: LintCode;
  readonly rule?: string;
  readonly agent?: string;
  readonly line?: number;
  readonly message: string;
}

const hasConditions = (r: PolicyRule): boolean =>
  r.approval !== 'none' || r.limit !== undefined || r.hours !== undefined || r.aws !== undefined;

function agentSet(r: PolicyRule, declared: readonly string[]): Set<string> {
  return new Set(r.agents.includes('*') ? declared : r.agents);
}

/** Whether `a` matches every (agent, action, account) that `b` matches. */
function covers(a: CompiledRule, b: CompiledRule, declared: readonly string[]): boolean {
  const aAgents = agentSet(a.rule, declared);
  for (const x of agentSet(b.rule, declared)) if (!aAgents.has(x)) return false;
  if (!b.rule.actions.every((x) => a.rule.actions.includes(x))) return false;
  return b.selectors.every((s) => a.selectors.some((t) => selectorCovers(t, s)));
}

export function lintPolicy(policy: Policy, accounts: readonly AccountRef[]): PolicyWarning[] {
  const warnings: PolicyWarning[] = [];
  const rules = compiled(policy).rules;
  const declared = [...policy.agents.keys()];
  const at = (r: PolicyRule): { rule: string; line?: number } => ({
    rule: r.id,
    ...(r.line === undefined ? {} : { line: r.line }),
  });

  // Static shadowing.
  const shadowed = new Set<string>();
  for (const r of rules) {
    const rule = r.rule;
    let message: string | undefined;
    if (rule.effect === 'allow') {
      const earlier = rules.find((e) => e.index < r.index && e.rule.effect === 'allow' && covers(e, r, declared));
      const denier = rules.find((d) => d !== r && d.rule.effect === 'deny' && covers(d, r, declared));
      if (denier !== undefined) {
        message = `rule ${rule.id} never allows anything: deny rule ${denier.rule.id} covers all its agents, accounts and actions`;
      } else if (earlier !== undefined) {
        message = hasConditions(earlier.rule)
          ? `rule ${rule.id} is never reached: earlier rule ${earlier.rule.id} matches everything it matches and decides, even when its own conditions fail`
          : `rule ${rule.id} is never reached: earlier rule ${earlier.rule.id} matches everything it matches, without conditions`;
      }
    } else {
      const earlier = rules.find((d) => d.index < r.index && d.rule.effect === 'deny' && covers(d, r, declared));
      if (earlier !== undefined)
        message = `deny rule ${rule.id} adds nothing: earlier deny rule ${earlier.rule.id} already covers it`;
    }
    if (message !== undefined) {
      shadowed.add(rule.id);
      warnings.push({ code: 'shadowed', ...at(rule), message });
    }
  }

  // Selectors against the vault.
  const valid = accounts.filter((a) => isAccountId(a.id));
  const matchesSome = new Set<string>();
  for (const r of rules) {
    const dead = r.selectors.filter((s) => !valid.some((a) => selectorMatches(s, a)));
    if (dead.length === r.selectors.length) {
      warnings.push({
        code: 'no_matching_account',
        ...at(r.rule),
        message: `rule ${r.rule.id} matches no account in the vault`,
      });
    } else {
      matchesSome.add(r.rule.id);
      for (const s of dead) {
        warnings.push({
          code: 'selector_matches_nothing',
          ...at(r.rule),
          message: `rule ${r.rule.id}: account selector ${s.text} matches no account in the vault`,
        });
      }
    }
  }

  // Concrete reachability: which allow rules ever decide a request for an account in the vault.
  // (A rule that matches some vault account matches some request: its agents and actions are never empty.)
  const decided = new Set<string>();
  for (const agent of declared) {
    for (const account of valid) {
      for (const action of ACTIONS) {
        const m = matchRequest(policy, agent, action, account);
        if (m.kind === 'allow') decided.add(m.rule.rule.id);
      }
    }
  }
  for (const r of rules) {
    const id = r.rule.id;
    if (r.rule.effect === 'allow' && !shadowed.has(id) && matchesSome.has(id) && !decided.has(id)) {
      warnings.push({
        code: 'unreachable',
        ...at(r.rule),
        message: `rule ${id} never decides: for every account it matches, other rules decide first or deny`,
      });
    }
  }

  // Agents nobody uses.
  const starAllow = policy.rules.some((r) => r.effect === 'allow' && r.agents.includes('*'));
  for (const agent of declared) {
    if (!starAllow && !policy.rules.some((r) => r.agents.includes(agent))) {
      warnings.push({ code: 'unused_agent', agent, message: `agent ${agent} is named by no rule: it can do nothing` });
    }
  }
  return warnings;
}

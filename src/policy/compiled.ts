/**
 * A validated policy as plain JSON, for pinning inside the vault at `policy apply`. The agent
 * path then checks policy.yaml's hash against the pin and uses this copy: it never parses YAML or
 * loads the schema library, which costs more than the rest of a `credential_process` call. The
 * copy is trusted as the vault is: it lives in the authenticated, encrypted payload, and was made
 * from a policy that validated.
 */
import type { AgentInfo, Policy, PolicyRule } from './types.js';

interface CompiledPolicyJson {
  version: 1;
  fileName: string;
  agents: [string, AgentInfo][];
  rules: PolicyRule[];
}

export function toCompiledJson(p: Policy): CompiledPolicyJson {
  return { version: p.version, fileName: p.fileName, agents: [...p.agents.entries()], rules: [...p.rules] };
}

/** The policy back from its pinned copy; undefined when the copy is not in the expected shape. */
export function fromCompiledJson(x: unknown): Policy | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const j = x as Partial<CompiledPolicyJson>;
  if (j.version !== 1 || typeof j.fileName !== 'string' || !Array.isArray(j.agents) || !Array.isArray(j.rules))
    return undefined;
  return { version: 1, fileName: j.fileName, agents: new Map(j.agents), rules: j.rules };
}

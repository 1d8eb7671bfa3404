/** The commented policy that `totp-mcp policy init` writes. It parses, and a test keeps it so. */
export const STARTER_POLICY = `# totp-mcp policy: which agent may do what with which account.
#
# DENY BY DEFAULT. A request is allowed only when an allow rule matches it:
#   1. An agent that is not declared under \`agents:\` is always denied.
#   2. If any \`effect: deny\` rule matches, the request is denied, wherever that rule is.
#   3. Otherwise the FIRST matching allow rule, in file order, decides, and its conditions
#      (hours, limit, aws) apply. If a condition fails the request is denied: later rules are
#      not tried. So put narrow rules before broad ones.
#   4. No matching rule: denied.
#
# A rule matches a request when it lists the agent (or "*"), the action, and one of its
# account selectors matches the account:
#   aws-prod        exactly that account id (ids are lowercase; "GitHub" is not "github")
#   "github*"       a glob over the WHOLE id: * is any run of characters, ? exactly one
#   "tag:personal"  every account with that tag
#   "*"             every account
# Actions: list (see the account in list_accounts), code (get a one-time code),
#          aws_session (get AWS credentials without ever seeing the MFA code).
# Durations: 30s, 15m, 1h, 2h30m, 1d.
# Unknown keys are errors, so a typo never quietly changes who may do what.
#
# Try a request:  totp-mcp policy explain --agent claude-desktop --account github --action code
# After editing:  totp-mcp policy apply   (checks the file and pins its hash in the vault;
#                 a file that differs from the pin denies everything until you apply it)

version: 1

# Agents are named by how the server is launched: totp-mcp serve --agent claude-desktop
agents:
  claude-desktop: { description: desktop assistant }
  terraform: { description: Terraform on this machine }

rules:
  # Nothing tagged "bank" leaves the vault, for any agent, whatever the rules below say.
  - id: never-bank
    effect: deny              # allow (the default) | deny
    agents: ["*"]
    accounts: ["tag:bank"]
    # no actions: a deny rule without them covers every action

  # The desktop assistant may list and use GitHub and personal accounts on weekdays from
  # 08:00 to 20:00 Berlin time, at most 10 times an hour, and you confirm each use in the
  # client (one confirmation counts for 15 minutes).
  - id: desktop-github
    agents: [claude-desktop]
    accounts: ["github*", "tag:personal"]
    actions: [list, code]
    approval: confirm         # none (the default) | confirm
    approval_ttl: 15m
    limit: { count: 10, per: 1h }
    hours: { days: [mon, tue, wed, thu, fri], from: "08:00", to: "20:00", tz: Europe/Berlin }

  # Terraform may get AWS sessions for aws-prod: only as the role "deploy", for at most an
  # hour, delivered through credential_process or a named profile. "inline" (credentials in
  # the transcript) is allowed only where a rule lists it.
  - id: terraform-prod
    agents: [terraform]
    accounts: [aws-prod]
    actions: [aws_session]
    aws: { roles: [deploy], max_duration: 1h, delivery: [credential_process, profile] }

  # Staging applies run at night: a window that crosses midnight belongs to the day it
  # starts (Friday 22:00 until Saturday 06:00 is Friday's window).
  - id: terraform-staging-nightly
    agents: [terraform]
    accounts: ["aws-staging*"]
    actions: [aws_session]
    hours: { days: [mon, tue, wed, thu, fri], from: "22:00", to: "06:00", tz: UTC }
`;

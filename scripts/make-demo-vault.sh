#!/usr/bin/env bash
# Rebuilds vault/demo: a real age vault with made-up accounts, used by `npm run demo` and the
# end-to-end tests. Its identity is committed on purpose and protects nothing real.
set -euo pipefail
cd "$(dirname "$0")/.."
npm run build --silent
DEMO=vault/demo
rm -rf "$DEMO/vault.age" "$DEMO/identity.txt" "$DEMO/recipients.txt" "$DEMO/policy.yaml" "$DEMO/backups" "$DEMO/state" "$DEMO/vault.lock"
export TOTP_MCP_HOME="$DEMO"
cli() { node dist/totp-mcp.mjs "$@"; }
cli init >/dev/null
# Mark the key plainly as a demo key (age ignores # lines).
{ echo "# DEMO KEY: committed to a public repository; it protects nothing real."; echo "# Never add a real secret to this vault."; cat "$DEMO/identity.txt"; } > "$DEMO/identity.tmp"
mv "$DEMO/identity.tmp" "$DEMO/identity.txt"; chmod 600 "$DEMO/identity.txt"
add() { local id=$1 uri=$2; shift 2; printf '%s' "$uri" | cli add "$id" --uri - "$@" >/dev/null; }
add github:demo 'otpauth://totp/GitHub:demo%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=GitHub' --tag personal --tag dev
add gitlab:demo 'otpauth://totp/GitLab:demo?secret=KRUGS4ZANFZSAYJAMRSW23ZAONSWG4TFOQ&issuer=GitLab&algorithm=SHA256&digits=8' --tag dev
add aws-demo 'otpauth://totp/Amazon%20Web%20Services:demo@123456789012?secret=NB2W45DFOIZA4ZDFNVXSA5DPORYA2AQC&issuer=Amazon%20Web%20Services' --tag aws
add bank:demo 'otpauth://totp/Example%20Bank:demo?secret=MFRGGZDFMZTWQ2LKNNWG23TPOBYXE43U&issuer=Example%20Bank' --tag bank
add steam:demo 'otpauth://steam/Steam:demo?secret=63BEDWCQZKTQWPESARIERL5DTTQFCJTK&issuer=Steam'
add vpn:demo 'otpauth://hotp/Example%20VPN:demo?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example%20VPN&counter=0' --tag work
cp vault/demo-policy.yaml "$DEMO/policy.yaml"; chmod 600 "$DEMO/policy.yaml"
cli policy apply
rm -rf "$DEMO/backups" "$DEMO/state" "$DEMO/vault.lock"
cli list

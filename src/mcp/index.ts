/** The MCP front: loaded only by `totp-mcp serve`. */
export { serveAgent } from './stdio.js';
export { createServer, TOOL_NAMES, type ServerDeps } from './server.js';
export { ApprovalFlow } from './approval.js';

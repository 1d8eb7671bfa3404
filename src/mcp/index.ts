/** The MCP front (DESIGN §2 "MCP surface"): loaded only by `totp-mcp serve`. */
export { serveAgent, type ServeOptions } from './stdio.js';
export { createServer, TOOL_NAMES, type ServerDeps } from './server.js';
export { ApprovalFlow } from './approval.js';

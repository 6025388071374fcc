// What the rest of Ward (the composition root) may import from the SSH gateway.
export { createSshGateway, loadOrCreateHostKey, type SshGateway, type SshGatewayDeps } from './server.js';
export type { LiveSessions, LiveSessionInfo, WatchListener } from './live.js';
export { sshSessionRoutes } from './routes.js';
export { parseSelection } from './selection.js';
export { checkAllowList, checkDeniedLine, parseCommand } from './command-control.js';
export type * from './types.js';

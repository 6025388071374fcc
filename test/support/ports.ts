// A free TCP port on loopback for a server a test starts (sshd, rsyslog, a Ward child process).
export { freeLoopbackPort as freePort } from '../../src/platform/ports.js';

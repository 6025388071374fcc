// Export formats for query results: JSON lines and CSV (spreadsheet-safe: cells that would start a formula are
// prefixed with an apostrophe, so an exported justification cannot run in the auditor's spreadsheet).
import type { AuditRecord } from './types.js';

export const csvColumns = [
  'sequence', 'time', 'nodeId', 'action', 'outcome', 'actorId', 'actorKind', 'actorName', 'actorAddress', 'actorDevice',
  'targetType', 'targetId', 'targetName', 'targetSystem', 'targetAccount', 'reasonCode', 'ticket', 'justification',
  'sessionId', 'policyIds', 'details', 'id',
] as const;

function cell(value: unknown): string {
  if (value === undefined || value === null) return '';
  let text = typeof value === 'string' ? value : JSON.stringify(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvHeader(): string {
  return `${csvColumns.join(',')}\r\n`;
}

export function toCsvRow(r: AuditRecord): string {
  const values = [
    r.sequence, new Date(r.time).toISOString(), r.nodeId, r.action, r.outcome, r.actor.id, r.actor.kind, r.actor.name, r.actor.address,
    r.actor.device, r.target?.type, r.target?.id, r.target?.name, r.target?.system, r.target?.account, r.reasonCode, r.ticket,
    r.justification, r.sessionId, r.policyIds?.join(' '), r.details ? JSON.stringify(r.details) : undefined, r.id,
  ];
  return `${values.map(cell).join(',')}\r\n`;
}

export function toJsonLine(r: AuditRecord): string {
  return `${JSON.stringify(r)}\n`;
}

export function encodeCursor(sequence: number): string {
  return Buffer.from(`s:${sequence}`).toString('base64url');
}

export function decodeCursor(cursor: string): number | null {
  const match = /^s:(\d{1,16})$/.exec(Buffer.from(cursor, 'base64url').toString());
  return match ? Number(match[1]) : null;
}

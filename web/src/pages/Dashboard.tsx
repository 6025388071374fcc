// Dashboard: JIT metrics as tiles and trends as Chart.js charts built from the audit trail (requests and time to
// grant, break-glass, failed logins) and the access metrics (standing vs JIT). Each chart has a data table too.
import { useEffect, useRef } from 'react';
import { Chart, registerables, type ChartConfiguration } from 'chart.js';
import { api, query, type AuditRecord, type LiveSession, type Me, type Metrics } from '../api';
import { Alert, formatDuration, useLoad } from '../ui';

Chart.register(...registerables);
Chart.defaults.font.size = 13;
Chart.defaults.color = '#1f2933';

const DAYS = 14;
const DAY_MS = 24 * 3600 * 1000;

function dayStarts(now: number) {
  const today = new Date(now);
  today.setHours(0, 0, 0, 0);
  return Array.from({ length: DAYS }, (_, i) => today.getTime() - (DAYS - 1 - i) * DAY_MS);
}

async function events(filters: Record<string, string>, from: number, maxPages = 4): Promise<AuditRecord[]> {
  const all: AuditRecord[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < maxPages; page++) {
    const answer: { items: AuditRecord[]; nextCursor: string | null } = await api('GET', `/api/v1/audit/events${query({ ...filters, from: String(from), limit: 500, cursor })}`);
    all.push(...answer.items);
    cursor = answer.nextCursor;
    if (!cursor) break;
  }
  return all;
}

function perDay(days: number[], items: { time: number }[]) {
  return days.map((start) => items.filter((e) => e.time >= start && e.time < start + DAY_MS).length);
}

function median(values: number[]) {
  if (!values.length) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

interface Trends {
  labels: string[];
  requests: number[];
  medianMinutesToGrant: (number | null)[];
  breakglass: number[];
  overdue: number[];
  failedLogins: number[];
}

async function loadTrends(): Promise<Trends> {
  const days = dayStarts(Date.now());
  const from = days[0]!;
  const [requests, grants, breakglass, overdue, logins] = await Promise.all([
    events({ action: 'access.request.created', outcome: 'success' }, from),
    events({ action: 'access.grant.created' }, from),
    events({ action: 'access.breakglass.started' }, from),
    events({ action: 'access.review.overdue' }, from),
    events({ action: 'auth.login', outcome: 'failure' }, from),
  ]);
  const requestedAt = new Map(requests.map((e) => [String(e.details?.requestId ?? ''), e.time]));
  const waits = grants
    .filter((g) => g.details?.breakglass !== true && requestedAt.has(String(g.details?.requestId ?? '')))
    .map((g) => ({ time: g.time, minutes: (g.time - requestedAt.get(String(g.details?.requestId))!) / 60000 }));
  return {
    labels: days.map((d) => new Date(d).toLocaleDateString(undefined, { month: 'short', day: 'numeric' })),
    requests: perDay(days, requests),
    medianMinutesToGrant: days.map((start) => median(waits.filter((w) => w.time >= start && w.time < start + DAY_MS).map((w) => w.minutes))),
    breakglass: perDay(days, breakglass),
    overdue: perDay(days, overdue),
    failedLogins: perDay(days, logins),
  };
}

/** Live gateway sessions counted per zone; every inventory zone is listed, so an empty one shows as zero. */
async function loadSessionsByZone(): Promise<{ zones: string[]; counts: number[] }> {
  const [sessions, zones] = await Promise.all([
    api<{ items: LiveSession[] }>('GET', '/api/v1/gateway/ssh/sessions').then((r) => r.items),
    api<{ items: { name: string }[] }>('GET', '/api/v1/zones?limit=200').then((r) => r.items.map((zone) => zone.name)).catch(() => [] as string[]),
  ]);
  const names = [...new Set([...zones, ...sessions.map((s) => s.zone)])].sort();
  return { zones: names, counts: names.map((name) => sessions.filter((s) => s.zone === name).length) };
}

function ChartBox({ id, title, config, table }: { id: string; title: string; config: ChartConfiguration; table: { headers: string[]; rows: (string | number | null)[][] } }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    if (!canvas.current) return;
    const chart = new Chart(canvas.current, { ...config, options: { responsive: true, maintainAspectRatio: false, animation: false, ...config.options } });
    return () => chart.destroy();
  }, [config]);
  return (
    <figure className="card chart" aria-labelledby={`${id}-title`}>
      <figcaption id={`${id}-title`}>{title}</figcaption>
      <div className="chart-area">
        <canvas ref={canvas} role="img" aria-label={`${title}: chart; the data table below has the same numbers`} data-testid={`chart-${id}`} />
      </div>
      <details>
        <summary>Data table</summary>
        <table>
          <thead>
            <tr>
              {table.headers.map((h) => (
                <th key={h} scope="col">
                  {h}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {table.rows.map((row, i) => (
              <tr key={i}>
                {row.map((cell, j) => (
                  <td key={j}>{cell ?? '—'}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

const blue = '#1d4ed8';
const red = '#b91c1c';
const amber = '#b45309';
const teal = '#0f766e';

export function Dashboard({ me }: { me: Me }) {
  const canMetrics = me.permissions.includes('metrics.read');
  const canAudit = me.permissions.includes('audit.read');
  const canSessions = me.permissions.includes('sessions.read');
  const metrics = useLoad(() => (canMetrics ? api<Metrics>('GET', '/api/v1/access/metrics') : Promise.resolve(null)), [canMetrics]);
  const trends = useLoad(() => (canAudit ? loadTrends() : Promise.resolve(null)), [canAudit]);
  const live = useLoad(() => (canSessions ? loadSessionsByZone() : Promise.resolve(null)), [canSessions]);
  const { reload: reloadLive } = live;
  useEffect(() => {
    if (!canSessions) return;
    const timer = setInterval(() => void reloadLive(), 10_000);
    return () => clearInterval(timer);
  }, [canSessions, reloadLive]);
  const m = metrics.data;
  const t = trends.data;
  const z = live.data;
  return (
    <>
      <h1>Dashboard</h1>
      {!canMetrics && !canAudit && !canSessions && <p>Welcome, {me.user.displayName}. Use the navigation to request access or see your grants.</p>}
      <Alert error={metrics.error} />
      {m && (
        <section aria-label="Access metrics" className="tiles">
          <Tile label="Pending requests" value={m.pendingRequests} />
          <Tile label="Active grants" value={m.activeGrants} />
          <Tile label="Median time to grant (30 days)" value={m.medianSecondsRequestToGrant === null ? '—' : formatDuration(Math.round(m.medianSecondsRequestToGrant))} />
          <Tile label="Break-glass (30 days)" value={m.breakglassCount} tone={m.breakglassCount ? 'warn' : undefined} />
          <Tile label="Overdue reviews" value={m.overdueReviews} tone={m.overdueReviews ? 'danger' : undefined} />
          <Tile label="JIT share of privileged access" value={m.jitShare === null ? '—' : `${Math.round(m.jitShare * 100)} %`} />
        </section>
      )}
      <Alert error={trends.error} />
      <Alert error={live.error} />
      <div className="charts">
        {t && (
          <ChartBox
            id="requests"
            title={`Access requests and median minutes to grant, last ${DAYS} days`}
            config={{
              type: 'bar',
              data: {
                labels: t.labels,
                datasets: [
                  { type: 'bar', label: 'Requests', data: t.requests, backgroundColor: blue, yAxisID: 'y' },
                  { type: 'line', label: 'Median minutes to grant', data: t.medianMinutesToGrant, borderColor: teal, backgroundColor: teal, spanGaps: true, yAxisID: 'y1' },
                ],
              },
              options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } }, y1: { beginAtZero: true, position: 'right', grid: { drawOnChartArea: false } } } },
            }}
            table={{ headers: ['Day', 'Requests', 'Median minutes to grant'], rows: t.labels.map((l, i) => [l, t.requests[i]!, t.medianMinutesToGrant[i] === null ? null : Math.round(t.medianMinutesToGrant[i]! * 10) / 10]) }}
          />
        )}
        {m && (
          <ChartBox
            id="standing"
            title="Standing vs just-in-time privileged access"
            config={{
              type: 'doughnut',
              data: { labels: ['Standing admin assignments', 'Active JIT grants'], datasets: [{ data: [m.standingAdminCount, m.activeGrants], backgroundColor: [amber, blue] }] },
            }}
            table={{ headers: ['Kind', 'Count'], rows: [['Standing admin assignments', m.standingAdminCount], ['Active JIT grants', m.activeGrants]] }}
          />
        )}
        {t && (
          <ChartBox
            id="breakglass"
            title={`Break-glass events and overdue reviews, last ${DAYS} days`}
            config={{
              type: 'bar',
              data: {
                labels: t.labels,
                datasets: [
                  { label: 'Break-glass', data: t.breakglass, backgroundColor: red },
                  { label: 'Reviews gone overdue', data: t.overdue, backgroundColor: amber },
                ],
              },
              options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
            }}
            table={{ headers: ['Day', 'Break-glass', 'Reviews gone overdue'], rows: t.labels.map((l, i) => [l, t.breakglass[i]!, t.overdue[i]!]) }}
          />
        )}
        {t && (
          <ChartBox
            id="logins"
            title={`Failed sign-ins, last ${DAYS} days`}
            config={{
              type: 'line',
              data: { labels: t.labels, datasets: [{ label: 'Failed sign-ins', data: t.failedLogins, borderColor: red, backgroundColor: red }] },
              options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
            }}
            table={{ headers: ['Day', 'Failed sign-ins'], rows: t.labels.map((l, i) => [l, t.failedLogins[i]!]) }}
          />
        )}
        {z && (
          <ChartBox
            id="sessions-by-zone"
            title="Active sessions by zone"
            config={{
              type: 'bar',
              data: { labels: z.zones, datasets: [{ label: 'Live sessions', data: z.counts, backgroundColor: teal }] },
              options: { indexAxis: 'y', scales: { x: { beginAtZero: true, ticks: { precision: 0 } } } },
            }}
            table={{ headers: ['Zone', 'Live sessions'], rows: z.zones.map((zone, i) => [zone, z.counts[i]!]) }}
          />
        )}
      </div>
    </>
  );
}

function Tile({ label, value, tone }: { label: string; value: string | number; tone?: 'warn' | 'danger' | undefined }) {
  return (
    <div className={`tile ${tone ?? ''}`}>
      <span className="tile-value">{value}</span>
      <span className="tile-label">{label}</span>
    </div>
  );
}

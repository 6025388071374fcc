// Prometheus gauges for the JIT metrics, read from the service on each scrape (one query set per scrape).
import { Gauge, type Registry } from 'prom-client';
import type { AccessMetrics } from './types.js';

export function registerAccessMetrics(registry: Registry, read: () => Promise<AccessMetrics>, options: { cacheMs?: number; now?: () => number } = {}): void {
  const now = options.now ?? Date.now;
  const cacheMs = options.cacheMs ?? 1000;
  let cached: { at: number; value: Promise<AccessMetrics> } | undefined;
  const snapshot = () => {
    if (!cached || now() - cached.at > cacheMs) cached = { at: now(), value: read() };
    return cached.value;
  };
  const gauge = (name: string, help: string, pick: (m: AccessMetrics) => number | null) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      async collect() {
        const value = pick(await snapshot());
        this.set(value ?? Number.NaN);
      },
    });
  gauge('ward_access_request_to_grant_median_seconds', 'Median time from access request to grant (30 days)', (m) => m.medianSecondsRequestToGrant);
  gauge('ward_access_revoke_after_expiry_mean_seconds', 'Mean delay between a grant deadline and its end (30 days)', (m) => m.meanSecondsToRevokeAfterExpiry);
  gauge('ward_access_jit_share_ratio', 'Share of privileged access under JIT grants rather than standing assignments', (m) => m.jitShare);
  gauge('ward_access_standing_admin_assignments', 'Standing (non-JIT) admin role assignments', (m) => m.standingAdminCount);
  gauge('ward_access_breakglass_total_30d', 'Break-glass events in the last 30 days', (m) => m.breakglassCount);
  gauge('ward_access_reviews_overdue', 'Post-break-glass reviews past their due time', (m) => m.overdueReviews);
  gauge('ward_access_grants_active', 'Grants inside their window right now', (m) => m.activeGrants);
  gauge('ward_access_requests_pending', 'Requests waiting for approval', (m) => m.pendingRequests);
}

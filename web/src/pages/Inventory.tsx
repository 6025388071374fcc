// Inventory (read): zones, targets with risk tier and owner, and a target's accounts.
import { useState } from 'react';
import { api, type Account, type Page, type Target, type Zone } from '../api';
import { Alert, Badge, useLoad } from '../ui';

export function InventoryPage() {
  const zones = useLoad(() => api<Page<Zone>>('GET', '/api/v1/zones?limit=500').then((r) => r.items), []);
  const targets = useLoad(() => api<Page<Target>>('GET', '/api/v1/targets?limit=500').then((r) => r.items), []);
  const [zoneId, setZoneId] = useState('');
  const [filter, setFilter] = useState('');
  const [open, setOpen] = useState<Target | null>(null);
  const zoneName = (id: string) => zones.data?.find((z) => z.id === id)?.name ?? id;
  const shown = (targets.data ?? []).filter((t) => (!zoneId || t.zoneId === zoneId) && (!filter || `${t.name} ${t.address} ${t.tags.join(' ')}`.toLowerCase().includes(filter.toLowerCase())));
  return (
    <>
      <h1>Inventory</h1>
      <Alert error={zones.error ?? targets.error} />
      <section aria-labelledby="zones-title">
        <h2 id="zones-title">Zones</h2>
        <div className="tiles">
          {zones.data?.map((z) => (
            <button key={z.id} type="button" className={`tile ${zoneId === z.id ? 'selected' : ''}`} aria-pressed={zoneId === z.id} onClick={() => setZoneId(zoneId === z.id ? '' : z.id)}>
              <strong>{z.name}</strong>
              <span className="muted">{z.description}</span>
              <span>{(targets.data ?? []).filter((t) => t.zoneId === z.id).length} targets</span>
            </button>
          ))}
        </div>
      </section>
      <section aria-labelledby="targets-title">
        <h2 id="targets-title">Targets</h2>
        <label htmlFor="inv-filter">Filter</label>
        <input id="inv-filter" value={filter} onChange={(e) => setFilter(e.target.value)} placeholder="name, address or tag" />
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Address</th>
              <th scope="col">Zone</th>
              <th scope="col">Protocols</th>
              <th scope="col">Criticality</th>
              <th scope="col">ePHI</th>
              <th scope="col">Risk tier</th>
            </tr>
          </thead>
          <tbody>
            {shown.map((t) => (
              <tr key={t.id}>
                <td>
                  <button type="button" className="link" onClick={() => setOpen(open?.id === t.id ? null : t)} aria-expanded={open?.id === t.id}>
                    {t.name}
                  </button>
                </td>
                <td className="mono">{t.address}</td>
                <td>{zoneName(t.zoneId)}</td>
                <td>{t.protocols.join(', ')}</td>
                <td>{t.criticality}</td>
                <td>{t.ephiSensitivity}</td>
                <td>
                  <Badge tone={t.riskTier === 'critical' || t.riskTier === 'high' ? 'danger' : 'info'}>{t.riskTier}</Badge>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {open && <Accounts target={open} />}
    </>
  );
}

function Accounts({ target }: { target: Target }) {
  const accounts = useLoad(() => api<Page<Account>>('GET', `/api/v1/targets/${target.id}/accounts?limit=500`).then((r) => r.items), [target.id]);
  return (
    <section className="card" aria-labelledby="accounts-title">
      <h2 id="accounts-title">Accounts on {target.name}</h2>
      <Alert error={accounts.error} />
      <table>
        <thead>
          <tr>
            <th scope="col">Username</th>
            <th scope="col">Kind</th>
            <th scope="col">Privilege</th>
            <th scope="col">Managed</th>
          </tr>
        </thead>
        <tbody>
          {accounts.data?.map((a) => (
            <tr key={a.id}>
              <td className="mono">{a.username}</td>
              <td>{a.kind}</td>
              <td>{a.privilegeLevel}</td>
              <td>{a.managed ? 'yes' : 'no'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

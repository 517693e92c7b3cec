// Usage page: spend and tokens per agent, per model and per day with a chart, totals for today and this month, limits.
import { lazy, Suspense, useEffect, useMemo, useState } from 'react';
import type { ReactElement } from 'react';
import { ActionsHeader } from '../../components/ActionsHeader';
import type { Agent } from '../../../../contract/agents';
import { AgentFilter } from '../../components/AgentFilter';
import { Badge } from '../../components/Badge';
import { PageHeader } from '../../components/PageHeader';
import { agentsStore, useAgents } from '../../stores/agents';
import { LimitsDialog } from './LimitsDialog';
import { dailySeries, daysBetween, limitBadge, sumBy, usageStore, usd, useUsage } from './store';
import type { UsageRange } from './store';

// Chart.js is a third of the app's script: loaded with this page's first chart, not at the app's start.
const UsageChart = lazy(() => import('./UsageChart').then((m) => ({ default: m.UsageChart })));

function Totals({
  label,
  t,
  testId,
}: {
  label: string;
  t: { calls: number; tokens_in: number; tokens_out: number; cost_usd: number } | undefined;
  testId: string;
}): ReactElement {
  return (
    <div className="usage-total" data-testid={testId}>
      <span className="card__title">{label}</span>
      <span className="usage-total__usd">{usd(t?.cost_usd ?? 0)}</span>
      <span className="muted small">
        {(t?.calls ?? 0).toLocaleString()} {t?.calls === 1 ? 'call' : 'calls'} ·{' '}
        {((t?.tokens_in ?? 0) + (t?.tokens_out ?? 0)).toLocaleString()} tokens
      </span>
    </div>
  );
}

/** The Usage page (`#/usage`). */
export function UsagePage(): ReactElement {
  const agents = useAgents((s) => s.agents);
  const summary = useUsage((s) => s.summary);
  const limits = useUsage((s) => s.limits);
  const range = useUsage((s) => s.range);
  const agentId = useUsage((s) => s.agentId);
  const error = useUsage((s) => s.error);
  const [editing, setEditing] = useState<Agent | null>(null);
  const [unit, setUnit] = useState<'usd' | 'tokens'>('usd');
  useEffect(() => {
    const offAgents = agentsStore.getState().follow();
    void agentsStore.getState().load();
    const off = usageStore.getState().follow();
    void usageStore.getState().load();
    return () => {
      offAgents();
      off();
    };
  }, []);
  const name = (id: string) => {
    const a = agents.find((x) => x.id === id);
    return a ? `${a.emoji} ${a.name}` : `${id.slice(0, 8)}… (removed)`;
  };
  const rows = useMemo(() => summary?.rows ?? [], [summary]);
  const days = useMemo(() => (summary ? daysBetween(summary.since, summary.until) : []), [summary]);
  const series = useMemo(
    () =>
      dailySeries(rows, days).map((s) => ({
        label: name(s.agentId),
        values: unit === 'usd' ? s.usd : s.tokens,
      })),
    [rows, days, unit, agents],
  );
  const live = agents.filter((a) => a.phase !== 'archived');
  return (
    <>
      <PageHeader
        title="Usage"
        description="What each agent spent on models and how many tokens, per model and per day (local days), and the limits the gateway enforces."
        actions={
          <>
            <AgentFilter
              className="input"
              agents={agents}
              value={agentId}
              onChange={(id) => void usageStore.getState().setAgent(id)}
              testId="usage-agent"
            />
            <select
              className="input"
              value={range}
              onChange={(e) => void usageStore.getState().setRange(e.target.value as UsageRange)}
              data-testid="usage-range"
            >
              <option value="month">This month</option>
              <option value="7d">Last 7 days</option>
              <option value="30d">Last 30 days</option>
            </select>
          </>
        }
      />
      {error && !error.unreachable ? (
        <p className="inline-error" role="alert">
          {error.message}
        </p>
      ) : null}
      <section className="usage-totals">
        <Totals label="Today" t={summary?.today} testId="usage-today" />
        <Totals label="This month" t={summary?.month} testId="usage-month" />
      </section>
      <section className="card" data-testid="usage-chart-card">
        <div className="card__head">
          <h2 className="card__title">Per day</h2>
          <div className="segmented">
            {(['usd', 'tokens'] as const).map((u) => (
              <label key={u} className="segmented__option">
                <input type="radio" name="usage-unit" checked={unit === u} onChange={() => setUnit(u)} />
                <span>{u === 'usd' ? 'USD' : 'Tokens'}</span>
              </label>
            ))}
          </div>
        </div>
        {rows.length ? (
          <Suspense fallback={<p className="muted">Loading the chart…</p>}>
            <UsageChart labels={days} series={series} unit={unit} />
          </Suspense>
        ) : (
          <p className="muted">No model calls in this range.</p>
        )}
      </section>
      <div className="usage-grid">
        <section className="card">
          <h2 className="card__title">Per agent</h2>
          <SumTable
            head="Agent"
            rows={sumBy(rows, (r) => r.agent_id).map(([k, s]) => [name(k), s])}
            testId="usage-per-agent"
          />
        </section>
        <section className="card">
          <h2 className="card__title">Per model</h2>
          <SumTable head="Model" rows={sumBy(rows, (r) => r.model)} testId="usage-per-model" />
        </section>
      </div>
      <section className="card" data-testid="usage-limits">
        <h2 className="card__title">Limits</h2>
        <table className="agents-table">
          <thead>
            <tr>
              <th scope="col">Agent</th>
              <th scope="col">Today</th>
              <th scope="col">This month</th>
              <th scope="col">Rate</th>
              <ActionsHeader />
            </tr>
          </thead>
          <tbody>
            {live.map((a) => {
              const l = limits[a.id];
              const badge = limitBadge(l);
              return (
                <tr key={a.id} data-testid="usage-limit-row" data-agent={a.slug}>
                  <th scope="row">
                    {a.emoji} {a.name}{' '}
                    {badge ? (
                      <Badge tone={badge.tone} label={badge.label} testId="usage-limit-badge" />
                    ) : null}
                  </th>
                  <td>{l ? `${usd(l.spent_day)} of ${usd(l.usd_day)}` : '—'}</td>
                  <td>{l ? `${usd(l.spent_month)} of ${usd(l.usd_month)}` : '—'}</td>
                  <td>{l ? `${l.rpm}/min` : '—'}</td>
                  <td>
                    <button
                      type="button"
                      className="button button--small"
                      onClick={() => setEditing(a)}
                      data-testid="usage-edit-limits"
                    >
                      Edit limits
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </section>
      {editing ? (
        <LimitsDialog agent={editing} limits={limits[editing.id]} onClose={() => setEditing(null)} />
      ) : null}
    </>
  );
}

function SumTable({
  head,
  rows,
  testId,
}: {
  head: string;
  rows: [string, { calls: number; tokensIn: number; tokensOut: number; usd: number }][];
  testId: string;
}): ReactElement {
  if (!rows.length) return <p className="muted">Nothing yet.</p>;
  return (
    <table className="agents-table" data-testid={testId}>
      <thead>
        <tr>
          <th scope="col">{head}</th>
          <th scope="col" className="agents-table__num">
            Calls
          </th>
          <th scope="col" className="agents-table__num">
            Tokens in / out
          </th>
          <th scope="col" className="agents-table__num">
            USD
          </th>
        </tr>
      </thead>
      <tbody>
        {rows.map(([k, s]) => (
          <tr key={k}>
            <th scope="row">{k}</th>
            <td className="agents-table__num">{s.calls.toLocaleString()}</td>
            <td className="agents-table__num">
              {s.tokensIn.toLocaleString()} / {s.tokensOut.toLocaleString()}
            </td>
            <td className="agents-table__num">{usd(s.usd)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

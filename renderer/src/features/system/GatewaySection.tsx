// The gateway half of the "LiteLLM & gateway" card: state, URL for agents, addresses and request counts.
import type { ReactElement } from 'react';
import type { LlmStatus } from '../../../../contract/llm';
import { Badge } from '../../components/Badge';
import { gatewayBadge } from '../../stores/llm';
import { CopyText } from './CopyText';

/** `address:port`, with IPv6 addresses in brackets (RFC 3986 §3.2.2). */
function hostPort(address: string, port: number | null): string {
  if (port === null) return address;
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}

/** Where agents of a runtime call the gateway (their OPENAI_BASE_URL), e.g. a Docker bridge address. */
function AgentUrl({ runtime, url }: { runtime: string; url: string }): ReactElement {
  const label = runtime === 'docker' ? 'Docker' : runtime === 'incus' ? 'Incus' : runtime;
  return (
    <>
      <dt>{label} agents call</dt>
      <dd data-testid={`gateway-agent-url-${runtime}`}>
        <CopyText
          text={url}
          label={`gateway URL of ${label} agents`}
          testId={`gateway-agent-url-${runtime}-text`}
        />
        {runtime === 'incus' ? <span className="muted small"> (inside the container, forwarded)</span> : null}
      </dd>
    </>
  );
}

/** The gateway section; `data-state` carries the raw state (`listening`, `stopped`, `error`). */
export function GatewaySection({ gateway: g }: { gateway: LlmStatus['gateway'] }): ReactElement {
  const badge = gatewayBadge(g.state);
  return (
    <div className={`llm-section llm-section--gw-${g.state}`} data-testid="gateway" data-state={g.state}>
      <div className="llm-section__head">
        <h3 className="llm-section__name">Gateway</h3>
        <Badge tone={badge.tone} label={badge.label} testId="gateway-state" />
      </div>
      <p className="component__detail" data-testid="gateway-detail">
        {g.detail}
      </p>
      <dl className="facts">
        <dt>URL on this machine</dt>
        <dd>
          {g.url ? (
            <CopyText text={g.url} label="gateway URL" testId="gateway-url" />
          ) : (
            <span className="muted">not listening</span>
          )}
        </dd>
        {(g.agent_urls ?? []).map((a) => (
          <AgentUrl key={a.runtime} runtime={a.runtime} url={a.url} />
        ))}
        <dt>Addresses</dt>
        <dd data-testid="gateway-addresses">
          {g.addresses.length > 0 ? g.addresses.map((a) => hostPort(a, g.port)).join(', ') : '—'}
        </dd>
        <dt>Requests</dt>
        <dd data-testid="gateway-requests">{g.requests}</dd>
        <dt>In flight</dt>
        <dd data-testid="gateway-inflight">{g.inflight}</dd>
      </dl>
    </div>
  );
}

// One row of the health list: component name, state badge, what was observed and, when not ok, the fix.
import type { ReactElement } from 'react';
import type { ComponentHealth } from '../../../../contract/health';
import { Badge } from '../../components/Badge';
import { CopyIcon } from '../../components/Icons';
import { useCopy } from '../../components/use-copy';
import { splitFix } from './fix-line';
import { componentLabel, componentRole, STATE_BADGES } from './labels';

function CopyButton({ text }: { text: string }): ReactElement {
  const { copied, copy } = useCopy(text);
  return (
    <button
      type="button"
      className="icon-button"
      onClick={copy}
      aria-label={copied ? 'Copied' : `Copy command: ${text}`}
      title="Copy"
    >
      {copied ? <span aria-hidden="true">✓</span> : <CopyIcon />}
    </button>
  );
}

/** The fix line of a component, commands in monospace with a copy button. */
function FixLine({ name, fix }: { name: string; fix: string }): ReactElement {
  return (
    <div className="component__fix" data-testid={`component-${name}-fix`}>
      <span className="component__fix-label">How to fix</span>
      <span className="component__fix-text">
        {splitFix(fix).map((s, i) =>
          s.command ? (
            <span key={i} className="command">
              <code>{s.text}</code>
              <CopyButton text={s.text} />
            </span>
          ) : (
            <span key={i}>{s.text}</span>
          ),
        )}
      </span>
    </div>
  );
}

/** A component's row; `data-state` carries the raw state for tests and styling. */
export function ComponentRow({ component }: { component: ComponentHealth }): ReactElement {
  const badge = STATE_BADGES[component.state];
  const label = componentLabel(component.name);
  return (
    <li
      className={`component component--${component.state}`}
      data-testid={`component-${component.name}`}
      data-state={component.state}
    >
      <div className="component__head">
        <div className="component__title">
          <span className="component__name">{label}</span>
          <span className="component__role">{componentRole(component.name)}</span>
        </div>
        <Badge tone={badge.tone} label={badge.label} testId={`component-${component.name}-state`} />
      </div>
      {component.detail ? (
        <p className="component__detail" data-testid={`component-${component.name}-detail`}>
          {component.detail}
        </p>
      ) : null}
      {component.state !== 'ok' && component.fix ? (
        <FixLine name={component.name} fix={component.fix} />
      ) : null}
    </li>
  );
}

// A tool call as a collapsible card: name and arguments, then the output and exit code once the result arrived.
import type { ReactElement } from 'react';
import type { ToolCard } from '../../stores/chat';
import { CopyButton } from './CopyButton';

/** Pretty-prints JSON arguments when they parse; the text as written otherwise. */
function prettyArguments(text: string): string {
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/**
 * `<details>` card (keyboard and screen-reader friendly): the summary names the tool, a short argument
 * line and the state (running, exit code); opening it shows the arguments and the output (with Copy).
 */
export function ToolCardView({ tool }: { tool: ToolCard }): ReactElement {
  const done = tool.output !== null;
  const failed = !tool.not_run && tool.exit_code !== null && tool.exit_code !== 0;
  const state = !done
    ? 'running…'
    : tool.not_run
      ? 'not run'
      : tool.exit_code === null
        ? 'done'
        : `exit ${tool.exit_code}`;
  return (
    <details
      className={`tool-card${failed ? ' tool-card--failed' : ''}`}
      data-testid="tool-card"
      data-tool={tool.name}
      data-state={!done ? 'running' : tool.not_run ? 'not-run' : failed ? 'failed' : 'done'}
    >
      <summary className="tool-card__summary">
        <span className="tool-card__name">{tool.name}</span>
        <code className="tool-card__args">{tool.arguments.replace(/\s+/g, ' ').slice(0, 120)}</code>
        <span className="tool-card__state" data-testid="tool-card-state">
          {state}
        </span>
      </summary>
      <div className="tool-card__body">
        <div className="tool-card__label">Arguments</div>
        <pre className="tool-card__pre" data-testid="tool-card-arguments">
          {prettyArguments(tool.arguments)}
        </pre>
        <div className="tool-card__label">
          <span>
            Output
            {tool.truncated && tool.size !== null ? ` (cut; ${tool.size} bytes in all)` : ''}
          </span>
          {done && tool.output ? <CopyButton text={tool.output} label="Copy the output" /> : null}
        </div>
        <pre className="tool-card__pre" data-testid="tool-card-output">
          {done ? tool.output || '(no output)' : 'Waiting for the result…'}
        </pre>
      </div>
    </details>
  );
}

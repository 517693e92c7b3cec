// Traces page: for now an honest empty state (the live trace arrives with the traces contract group).
import type { ReactElement } from 'react';
import { EmptyState } from '../../components/EmptyState';
import { TracesIcon } from '../../components/Icons';
import { PageHeader } from '../../components/PageHeader';

/** The Traces page. */
export function TracesPage(): ReactElement {
  return (
    <>
      <PageHeader
        title="Traces"
        description="Every turn of every agent: messages, model calls, tool calls and errors."
      />
      <EmptyState icon={<TracesIcon />} title="No traces yet">
        <p>
          Traces appear here once agents run. Each model call will show its model, tokens, cost and latency,
          next to the tool calls and results of the same turn.
        </p>
      </EmptyState>
    </>
  );
}

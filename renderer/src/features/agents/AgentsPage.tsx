// Agents page: for now an honest empty state (agent creation arrives with the agents contract group).
import type { ReactElement } from 'react';
import { EmptyState } from '../../components/EmptyState';
import { AgentsIcon } from '../../components/Icons';
import { PageHeader } from '../../components/PageHeader';

/** The Agents page. */
export function AgentsPage(): ReactElement {
  return (
    <>
      <PageHeader
        title="Agents"
        description="Agents run in their own containers and reach models only through the gateway."
      />
      <EmptyState icon={<AgentsIcon />} title="No agents yet">
        <p>
          Creating agents is not available in this build yet. When it is, you will pick a name, an emoji, a
          framework and a model here, and follow each deployment step by step.
        </p>
      </EmptyState>
    </>
  );
}

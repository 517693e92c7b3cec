// Providers page: for now an honest empty state (discovery and keys arrive with the providers contract group).
import type { ReactElement } from 'react';
import { EmptyState } from '../../components/EmptyState';
import { ProvidersIcon } from '../../components/Icons';
import { PageHeader } from '../../components/PageHeader';

/** The Providers page. */
export function ProvidersPage(): ReactElement {
  return (
    <>
      <PageHeader
        title="Providers"
        description="Where models come from: local model servers and cloud providers."
      />
      <EmptyState icon={<ProvidersIcon />} title="Providers will appear here">
        <p>
          This screen does not manage providers yet. It will list the local model servers found on this
          machine (Ollama, LM Studio, llama.cpp, vLLM, Jan) and the cloud providers you add, with their keys
          kept in the OS keychain and the models each one serves.
        </p>
      </EmptyState>
    </>
  );
}

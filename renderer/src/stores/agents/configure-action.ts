// `agents.configure` from the settings dialog: the agent's system prompt, temperature and tools on/off.
import type { AgentConfigureInput } from '../../../../contract/agents';
import type { ClientGetter } from '../client';
import { getClient } from '../client';
import { toShownError } from '../errors';
import type { ShownError } from '../errors';

/**
 * Sends the new instructions of an agent (a running one is restarted by the core); the list updates
 * through `agents.changed`. @returns `null` on success, else the error to show (never throws).
 */
export async function configureAgent(
  input: AgentConfigureInput,
  client: ClientGetter = getClient,
): Promise<ShownError | null> {
  try {
    await client().agents.configure(input);
    return null;
  } catch (err) {
    return toShownError(err);
  }
}

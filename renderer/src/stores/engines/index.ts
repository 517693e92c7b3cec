// The named engines (`engines.list`), loaded when a screen needs them and again whenever the health report changes.
import { useCallback, useEffect, useState } from 'react';
import type { Engine, EngineMember } from '../../../../contract/engines';
import { getClient } from '../client';
import { toShownError } from '../errors';
import type { ShownError } from '../errors';
import { useSystem } from '../system';

/** The engines as last listed, the error of the last listing, and a function that lists them again. */
export interface EngineList {
  engines: Engine[];
  error: ShownError | null;
  reload: () => Promise<void>;
}

/**
 * Lists the named engines now and again after each health report (an engine's health is one of its
 * components, so a change of it arrives as `health.changed`).
 */
export function useEngineList(): EngineList {
  const health = useSystem((s) => s.health);
  const [engines, setEngines] = useState<Engine[]>([]);
  const [error, setError] = useState<ShownError | null>(null);
  const reload = useCallback(async () => {
    try {
      setEngines((await getClient().engines.list({})).engines);
      setError(null);
    } catch (err) {
      setError(toShownError(err));
    }
  }, []);
  useEffect(() => {
    void reload();
  }, [reload, health]);
  return { engines, error, reload };
}

/**
 * The cluster members of an engine (`engines.members`): empty for a Docker engine or an Incus server
 * that is not a cluster. @throws the client's error when the engine does not answer.
 */
export async function loadEngineMembers(engine: string): Promise<EngineMember[]> {
  return (await getClient().engines.members({ id: engine })).members;
}

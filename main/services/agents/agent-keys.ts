// The agents' virtual keys, as the agent service uses the gateway's key store: mint, revoke, show, suspend.
import type { KeySuspensions } from './agent-phases';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** The gateway's key store as far as agents need it (llm/virtual-keys.ts `VirtualKeys`). */
export interface AgentKeyStore extends KeySuspensions {
  mint(input: { owner: string; models: string[] }): { key: string; record: { id: string } };
  revokeOwner(owner: string): number;
  revoke(id: string): boolean;
  get(id: string): { prefix: string } | null;
  /** Id and owner of every key not revoked. */
  listLive(): { id: string; owner: string }[];
}

/**
 * One object for everything the agent service, its deployer, archiver and reconciliation do with keys:
 * minting an agent's key, revoking it, showing its prefix, finding keys of agents (owners shaped like an
 * agent id, a UUID) that are still live, and suspending an agent's keys while it may not call.
 */
export class AgentKeys implements KeySuspensions {
  constructor(private readonly store: AgentKeyStore) {}

  mint(input: { owner: string; models: string[] }): { key: string; record: { id: string } } {
    return this.store.mint(input);
  }

  /** Revokes every live key of agent `owner`; returns how many. */
  revokeOwner(owner: string): number {
    return this.store.revokeOwner(owner);
  }

  /** Revokes one key; false when it was unknown or revoked already. */
  revoke(id: string): boolean {
    return this.store.revoke(id);
  }

  /** The shown prefix of key `keyId`, or null when unknown. */
  prefixOf(keyId: string): string | null {
    return this.store.get(keyId)?.prefix ?? null;
  }

  /** Unrevoked keys whose owner is shaped like an agent id. */
  liveAgentKeys(): { id: string; owner: string }[] {
    return this.store.listLive().filter((k) => UUID.test(k.owner));
  }

  suspend(owner: string, reason: string): void {
    this.store.suspend(owner, reason);
  }

  resume(owner: string): void {
    this.store.resume(owner);
  }
}

// The built-in harness: the Agent Desk runtime (resources/agent-runtime), mounted read-only into the base image.
import type { HarnessPlugin } from '../harness';
import manifest from './manifest.json';

/**
 * Runs on the base image with the runtime bundle mounted; it reads everything from the env file
 * (OPENAI_BASE_URL, OPENAI_API_KEY, AGENTDESK_MODEL …, resources/agent-runtime/PROTOCOL.md), so it has
 * no configure step and no image of its own.
 */
export const harness: HarnessPlugin = { manifest };

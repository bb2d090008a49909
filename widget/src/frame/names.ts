// Names of the agents who write in the visitor's conversation, looked up
// once per agent: GET /conversations/{id}/agents/{agent_id}, or, on a hub
// without that endpoint, the conversation's assignee when it is that agent.
import { APIError, agent, assignee } from "./api";

/** The name shown for an agent whose name cannot be known (erased, or not found). */
export const FALLBACK_NAME = "Support";

const known = new Map<string, Promise<string>>();

/**
 * agentName resolves to the display name of agentID, an agent of the
 * conversation's organisation; never rejects. Names found are kept for the
 * page's life; a network failure or a fallback is retried on the next call.
 */
export function agentName(conversationID: string, agentID: string): Promise<string> {
  let p = known.get(agentID);
  if (!p) {
    p = lookup(conversationID, agentID);
    known.set(agentID, p);
  }
  return p.catch(() => {
    known.delete(agentID);
    return FALLBACK_NAME;
  });
}

async function lookup(conversationID: string, agentID: string): Promise<string> {
  try {
    return (await agent(conversationID, agentID)).name || FALLBACK_NAME;
  } catch (e) {
    if (!(e instanceof APIError) || (e.status !== 404 && e.status !== 405)) throw e;
  }
  // An older hub (no agents endpoint) or an agent it does not know: the
  // assignee is the one agent the visitor can always name.
  const a = await assignee(conversationID).catch(() => null);
  if (a && a.id === agentID && a.name) return a.name;
  throw new Error("agent name unknown"); // not kept: asked again next time
}

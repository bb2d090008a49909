// Shared console state: the signed-in agent, the team, the organisation's
// conversations and a cache of visitor details. Views read it and subscribe
// to changes; only main.ts and the views' own handlers write it.

import { Agent, Conversation, Visitor, call } from "./api";
import { Socket } from "./socket";

/** The console's state. */
export const state = {
  me: null as Agent | null,
  agents: new Map<string, Agent>(),
  conversations: new Map<string, Conversation>(),
  visitors: new Map<string, Visitor>(),
  socket: null as Socket | null,
};

type Listener = () => void;
const listeners = new Set<Listener>();

/** Subscribes to conversation list changes. */
export function onConversations(l: Listener): void {
  listeners.add(l);
}

/** Notifies subscribers that the conversation list changed. */
export function conversationsChanged(): void {
  for (const l of listeners) l();
}

/** Applies a conversation state (the latest wins); returns whether it is new. */
export function applyConversation(c: Conversation): boolean {
  const old = state.conversations.get(c.id);
  if (old && Date.parse(old.updated_at) > Date.parse(c.updated_at)) return false;
  state.conversations.set(c.id, { ...c, assignee_id: c.assignee_id ?? null });
  conversationsChanged();
  return !old;
}

/** The display name of an agent id. */
export function agentName(id: string | null | undefined): string {
  if (!id) return "nobody";
  if (state.me && id === state.me.id) return "you";
  return state.agents.get(id)?.name || "agent " + id.slice(-4);
}

/** The display name of a visitor (loaded details, else a short id). */
export function visitorName(id: string): string {
  const v = state.visitors.get(id);
  if (v?.deleted) return "Erased visitor";
  return v?.name || "Visitor " + id.slice(-4);
}

const pending = new Map<string, Promise<Visitor | null>>();
const failed = new Set<string>(); // not retried until the page reloads or another sign-in

/** Loads a visitor's details once (cached); notifies subscribers when they arrive. */
export function loadVisitor(id: string): Promise<Visitor | null> {
  const have = state.visitors.get(id);
  if (have) return Promise.resolve(have);
  if (failed.has(id)) return Promise.resolve(null);
  let p = pending.get(id);
  if (!p) {
    p = call<Visitor>("GET", "/visitors/" + encodeURIComponent(id))
      .then((v) => {
        state.visitors.set(id, v);
        conversationsChanged();
        return v;
      })
      .catch(() => {
        failed.add(id);
        return null;
      })
      .finally(() => pending.delete(id));
    pending.set(id, p);
  }
  return p;
}

/** Forgets cached visitors (and failed look-ups). */
export function forgetVisitors(): void {
  state.visitors.clear();
  failed.clear();
}

/** Reloads the team list. */
export async function loadAgents(): Promise<void> {
  const r = await call<{ agents: Agent[] }>("GET", "/agents");
  state.agents.clear();
  for (const a of r.agents) state.agents.set(a.id, a);
}

/** Whether the signed-in agent manages the team and widgets. */
export function isManager(): boolean {
  return state.me?.role === "owner" || state.me?.role === "admin";
}

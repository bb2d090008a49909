// Shared console state: the signed-in agent, the team, the inbox (see
// inbox_state.ts for its rules), a cache of visitor details and the visible
// section. Views read it and subscribe to changes; main.ts and the views'
// own handlers write it through update().

import { Agent, Visitor, call } from "./api";
import { Change, InboxState } from "./inbox_state";
import { Socket } from "./socket";

/** A section of the console. */
export type View = "inbox" | "search" | "team" | "widgets" | "visitors" | "apikeys" | "webhooks" | "security" | "audit";

/** Where a change came from: only live sources may alert. */
export type Source = "rest" | "frame" | "message" | "receipt" | "read";

const inbox = new InboxState();

/** The console's state. */
export const state = {
  me: null as Agent | null,
  agents: new Map<string, Agent>(),
  inbox,
  /** The conversations by id (the inbox's rows). */
  conversations: inbox.rows,
  visitors: new Map<string, Visitor>(),
  socket: null as Socket | null,
  view: "inbox" as View,
};

type Listener = () => void;
type ChangeListener = (ch: Change, source: Source) => void;
const listeners = new Set<Listener>();
const changeListeners = new Set<ChangeListener>();
let scheduled = false;

/** Subscribes to conversation list changes (called once per burst of changes). */
export function onConversations(l: Listener): void {
  listeners.add(l);
}

/** Subscribes to each conversation change, with what caused it. */
export function onChange(l: ChangeListener): void {
  changeListeners.add(l);
}

/** Notifies subscribers that the conversation list changed (coalesced into one call). */
export function conversationsChanged(): void {
  if (scheduled) return;
  scheduled = true;
  queueMicrotask(() => {
    scheduled = false;
    for (const l of listeners) l();
  });
}

/** Reports a change of the inbox to its subscribers. */
export function update(ch: Change | undefined, source: Source): void {
  if (!ch) return;
  for (const l of changeListeners) l(ch, source);
  conversationsChanged();
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

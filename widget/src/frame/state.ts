// The visitor iframe's state, shared by the panel (forms, header), the chat
// and the boot code. Only the conversation id, sequence numbers and unsent
// messages are kept, in memory; the visitor session is an HttpOnly cookie.
import { WidgetConfig, defaultConfig } from "./api";
import { FormName } from "./presence";
import { Socket } from "./socket";
import { Bubble } from "./ui";

/** What the panel shows: nothing yet, one of the forms, or the chat. */
export type View = "" | FormName | "chat";

/** A message shown as sending until the hub acks it. */
export interface Pending {
  text: string;
  b: Bubble;
}

const params = new URLSearchParams(location.search);

/** The widget's publishable key, from the frame's URL. */
export const key = params.get("key") || "";

/**
 * Whether the page identifies its user (data-token-url or identify before
 * the loader ran): the frame waits for the token instead of the forms.
 */
export const tokenMode = params.get("auth") === "token";

/** st is the one state of the frame. */
export const st = {
  view: "" as View,
  busy: false, // a form is being submitted
  panelOpen: false,
  config: defaultConfig as WidgetConfig,
  socket: null as Socket | null,
  connected: false, // a socket is up and ready
  unavailable: false, // the hub refused this widget for good
  visitorID: "",
  identified: false, // the session was started with a chat token (never kept)
  convID: "",
  lastSeq: 0, // highest seq received as a message frame
  wantStart: false,
  startSent: false,
  joined: false,
  closed: false,
  known: false, // the conversation's state was seen once (later changes leave a note)
  assignee: "",
  agentName: "",
  agentReadSeq: 0,
  sentRead: 0,
  offlineCid: "", // the client id of the offline form's message
  draft: "", // the offline form's text, carried into the composer
  seen: new Set<number>(),
  pending: new Map<string, Pending>(),
  mine: new Map<number, Bubble>(),
  /** notify tells the visitor about a live agent message (set at boot). */
  notify: (): void => {},
};

/** visible reports whether the visitor can see the panel. */
export function visible(): boolean {
  return st.panelOpen && document.visibilityState === "visible";
}

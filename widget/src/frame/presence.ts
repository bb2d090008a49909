// What the visitor sees as agents come and go, decided without the DOM.

/** The two forms shown before a chat. */
export type FormName = "prechat" | "offline";

/** Which form to show, and whether to offer the other one with a hint. */
export interface FormChoice {
  form: FormName;
  hint: boolean;
}

/**
 * formFor picks the form for the agents' presence: the pre-chat form while
 * an agent is online, else the offline form. A form the visitor has
 * started filling in is never taken away: it stays, with a hint offering
 * the other one. current is "" before any form was shown.
 */
export function formFor(current: FormName | "", online: boolean, started: boolean): FormChoice {
  const want: FormName = online ? "prechat" : "offline";
  if (current && current !== want && started) return { form: current, hint: true };
  return { form: want, hint: false };
}

/** headerStatus is the header's status line; it says "Online" only while an agent is. */
export function headerStatus(inChat: boolean, online: boolean): string {
  if (inChat) return online ? "Online" : "Away — we will reply as soon as we can";
  return online ? "We usually reply in a few minutes" : "We are away right now";
}

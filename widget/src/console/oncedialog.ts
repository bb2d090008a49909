// The "shown once" dialog: a new secret API key or webhook signing secret
// appears here, right after the server made it, with a copy button and a
// warning that it cannot be shown again. The secret lives only in this
// dialog's text while it is open: never in a variable that outlives it,
// never in local or session storage, the address or the history. Closing
// the dialog (its button, Escape) or reloading the page loses it for good.

import { byId } from "./dom";
import { setText } from "./forms";

/** What the dialog shows. */
export interface OnceSecret {
  /** The dialog's heading, e.g. "Your new secret key". */
  title: string;
  /** What the secret is and what to do with it, under the warning. */
  hint: string;
  /** The label of the secret's box, e.g. "Secret key". */
  label: string;
  /** The secret itself. */
  secret: string;
}

let onClosed: () => void = () => {};

/** Wires the dialog's copy and done buttons. */
export function initOnceDialog(): void {
  const dialog = byId<HTMLDialogElement>("once-dialog");
  byId("once-copy").addEventListener("click", () => void copy());
  byId("once-done").addEventListener("click", () => dialog.close());
  // Every way out (the button, Escape) forgets the secret.
  dialog.addEventListener("close", () => {
    byId("once-secret").textContent = "";
    setText("once-status", "");
    const after = onClosed;
    onClosed = () => {};
    after();
  });
}

/** Shows a secret once; closed runs after the dialog is closed (and the secret forgotten). */
export function showOnce(s: OnceSecret, closed: () => void = () => {}): void {
  const dialog = byId<HTMLDialogElement>("once-dialog");
  if (dialog.open) dialog.close();
  onClosed = closed;
  byId("once-title").textContent = s.title;
  byId("once-hint").textContent = s.hint;
  byId("once-label").textContent = s.label;
  byId("once-secret").textContent = s.secret;
  setText("once-status", "");
  dialog.showModal();
  byId("once-copy").focus();
}

/** Forgets a shown secret (on sign-out). */
export function closeOnce(): void {
  const dialog = byId<HTMLDialogElement>("once-dialog");
  if (dialog.open) dialog.close();
}

// copy puts the secret on the clipboard; where the browser has no
// clipboard API (a plain-http address) it selects the text and copies the
// selection, and says so when even that is refused.
async function copy(): Promise<void> {
  const box = byId("once-secret");
  const text = box.textContent ?? "";
  try {
    if (navigator.clipboard) await navigator.clipboard.writeText(text);
    else if (!selectAndCopy(box)) throw new Error("refused");
    setText("once-status", "Copied to the clipboard.");
  } catch {
    selectAndCopy(box);
    setText("once-status", "Copying was refused: the key is selected, press Ctrl+C (⌘C) to copy it.");
  }
}

function selectAndCopy(node: HTMLElement): boolean {
  const range = document.createRange();
  range.selectNodeContents(node);
  const sel = window.getSelection();
  sel?.removeAllRanges();
  sel?.addRange(range);
  try {
    return document.execCommand("copy");
  } catch {
    return false;
  }
}

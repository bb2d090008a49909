// Form errors: every console form shows the server's error next to it, on
// the field it names when it names one, until the user edits the form.
// Reloading a list after a failed submit never clears it.

import { ApiError } from "./api";
import { byId, show } from "./dom";

/** errorText is the API's message for an ApiError, else a generic one. */
export function errorText(e: unknown): string {
  if (e instanceof ApiError) return e.message;
  if (e && typeof e === "object" && "message" in e && typeof e.message === "string" && e.message) return e.message;
  return "The server cannot be reached; try again.";
}

/** setText sets a status or error line's text and hides it when empty. */
export function setText(id: string, text: string): void {
  showText(byId(id), text);
}

function showText(p: HTMLElement, text: string): void {
  p.textContent = text;
  show(p, text !== "");
}

/** An error line bound to a form: set by a failed submit, cleared by the next edit. */
export class FormError {
  private field: HTMLElement | null = null;

  /**
   * out is the error line (role=alert, next to the form's submit button);
   * fields maps a word the server's message may name ("email") to its input.
   */
  constructor(
    form: HTMLElement,
    private readonly out: HTMLElement,
    private readonly fields: Record<string, HTMLElement> = {},
  ) {
    form.addEventListener("input", () => this.clear());
    form.addEventListener("change", () => this.clear());
    showText(out, "");
  }

  /** Shows the error of e (an ApiError or a text); marks the field it names. */
  set(e: unknown): void {
    this.clear();
    const text = typeof e === "string" ? e : errorText(e);
    showText(this.out, text);
    this.field = this.fieldOf(text);
    if (this.field) {
      this.field.setAttribute("aria-invalid", "true");
      this.field.setAttribute("aria-describedby", this.out.id);
    }
  }

  /** Clears the error. */
  clear(): void {
    showText(this.out, "");
    if (this.field) {
      this.field.removeAttribute("aria-invalid");
      this.field.removeAttribute("aria-describedby");
      this.field = null;
    }
  }

  private fieldOf(text: string): HTMLElement | null {
    const lower = text.toLowerCase();
    for (const [word, input] of Object.entries(this.fields)) if (lower.includes(word)) return input;
    return null;
  }
}

/**
 * Makes a destructive button ask first: the first click arms it (its text
 * becomes confirmText for 5 s), the second runs act. No dialog (they are
 * easy to click through and block the page).
 */
export function confirmClick(button: HTMLButtonElement, confirmText: string, act: () => void): void {
  const text = button.textContent ?? "";
  let timer = 0;
  button.addEventListener("click", () => {
    if (button.dataset.armed !== "true") {
      button.dataset.armed = "true";
      button.textContent = confirmText;
      timer = window.setTimeout(() => {
        delete button.dataset.armed;
        button.textContent = text;
      }, 5000);
      return;
    }
    window.clearTimeout(timer);
    delete button.dataset.armed;
    button.textContent = text;
    act();
  });
}

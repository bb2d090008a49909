// The sign-in's organisation chooser: when one email and password belong to
// agents of several organisations, the server answers 409
// organization_required with those organisations (only the ones where the
// password matched); the console lists them as buttons under the sign-in
// form, and choosing one signs in again with its organization_id. Editing
// the email or password puts the form back as it was.

import { OrgChoice } from "./api";
import { byId, el, show } from "./dom";

/** Shows the chooser; choose(id) runs when an organisation is picked. */
export function showOrgChoice(orgs: OrgChoice[], choose: (id: string) => void): void {
  const list = byId("login-org-list");
  list.replaceChildren();
  for (const o of orgs) {
    const button = el("button", { type: "button", class: "org-choice", "data-testid": "login-org", "data-org-id": o.id }, o.name);
    button.addEventListener("click", () => choose(o.id));
    list.append(el("li", {}, button));
  }
  show(byId("login-orgs"), true);
  show(byId("login-submit"), false);
  list.querySelector<HTMLButtonElement>("button")?.focus();
}

/** Hides the chooser and brings the sign-in button back. */
export function resetOrgChoice(): void {
  byId("login-org-list").replaceChildren();
  show(byId("login-orgs"), false);
  show(byId("login-submit"), true);
}

/** Enables or disables the chooser's buttons (while a sign-in runs). */
export function setOrgChoiceBusy(busy: boolean): void {
  for (const b of byId("login-org-list").querySelectorAll<HTMLButtonElement>("button")) b.disabled = busy;
}

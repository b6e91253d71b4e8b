// Ask before a destructive action. A button with data-confirm (the question),
// data-confirm-consequence and data-confirm-button (the label of the button that does it)
// opens a <dialog> first; only "yes" lets the click through. A submit button's form then
// carries confirmed=yes, so the server acts; without this module the server answers a page
// that asks the same question (teletherapy/lib/confirm.py).

let dialog = null;
let pending = null;

function build() {
  dialog = document.createElement("dialog");
  dialog.className = "confirm-dialog";
  dialog.setAttribute("aria-labelledby", "confirm-dialog-title");
  dialog.setAttribute("aria-describedby", "confirm-dialog-consequence");
  dialog.innerHTML = `
    <form method="dialog" class="dialog-body">
      <h2 id="confirm-dialog-title"></h2>
      <p id="confirm-dialog-consequence"></p>
      <div class="actions">
        <button type="submit" value="yes" class="danger" data-confirm-yes></button>
        <button type="submit" value="no" class="secondary" autofocus>Go back</button>
      </div>
    </form>`;
  document.body.append(dialog);
  dialog.addEventListener("close", () => {
    const button = pending;
    pending = null;
    if (!button) return;
    if (dialog.returnValue === "yes") {
      act(button);
    } else {
      button.focus();
    }
  });
}

function act(button) {
  const form = button.type === "submit" ? button.form : null;
  if (form && !form.querySelector("input[name=confirmed]")) {
    const field = document.createElement("input");
    field.type = "hidden";
    field.name = "confirmed";
    field.value = "yes";
    form.append(field);
  }
  button.dataset.confirmed = "yes";
  button.focus();
  button.click();
}

function ask(button) {
  if (!dialog) build();
  dialog.querySelector("#confirm-dialog-title").textContent = button.dataset.confirm;
  dialog.querySelector("#confirm-dialog-consequence").textContent =
    button.dataset.confirmConsequence || "";
  dialog.querySelector("[data-confirm-yes]").textContent =
    button.dataset.confirmButton || "Yes";
  dialog.returnValue = "";
  pending = button;
  dialog.showModal();
}

// Capture, so the question comes before any other listener of the button (call.js's End
// session) and before the form is submitted.
document.addEventListener(
  "click",
  (event) => {
    const button = event.target.closest("button[data-confirm]");
    if (!button || button.disabled) return;
    if (button.dataset.confirmed === "yes") {
      delete button.dataset.confirmed;
      return;
    }
    if (typeof HTMLDialogElement !== "function") return; // the server asks instead
    event.preventDefault();
    event.stopImmediatePropagation();
    ask(button);
  },
  true,
);

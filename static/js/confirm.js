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
      <div class="confirm-extra"></div>
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

function hidden(form, name, value) {
  let field = form.querySelector(`input[type=hidden][name="${name}"]`);
  if (!field) {
    field = document.createElement("input");
    field.type = "hidden";
    field.name = name;
    form.append(field);
  }
  field.value = value;
}

function act(button) {
  const form = button.type === "submit" ? button.form : null;
  if (form) {
    hidden(form, "confirmed", "yes");
    // The choice the question asked for (data-confirm-field), as the person made it.
    const field = button.dataset.confirmField;
    const picked = field && dialog.querySelector(`input[name="${field}"]:checked`);
    if (picked) hidden(form, field, picked.value);
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
  extra(button, dialog.querySelector(".confirm-extra"));
  dialog.returnValue = "";
  pending = button;
  dialog.showModal();
}

function parsed(text) {
  try {
    return JSON.parse(text || "[]");
  } catch {
    return [];
  }
}

// What the question concerns (data-confirm-items) and the choice it asks for
// (data-confirm-choices: [value, label] pairs, the first chosen), as text, never markup.
function extra(button, box) {
  box.replaceChildren();
  const items = parsed(button.dataset.confirmItems);
  if (items.length) {
    const label = document.createElement("h3");
    label.textContent = button.dataset.confirmItemsLabel || "";
    const list = document.createElement("ul");
    list.className = "confirm-items";
    for (const item of items) {
      const li = document.createElement("li");
      li.textContent = item;
      list.append(li);
    }
    box.append(label, list);
  }
  const choices = parsed(button.dataset.confirmChoices);
  if (choices.length) {
    const set = document.createElement("fieldset");
    set.className = "confirm-choices";
    const legend = document.createElement("legend");
    legend.textContent = button.dataset.confirmLegend || "";
    set.append(legend);
    choices.forEach(([value, text], i) => {
      const row = document.createElement("div");
      const input = document.createElement("input");
      input.type = "radio";
      input.name = button.dataset.confirmField;
      input.id = `confirm-choice-${i}`;
      input.value = value;
      input.checked = i === 0;
      const label = document.createElement("label");
      label.className = "checkbox";
      label.htmlFor = input.id;
      label.textContent = text;
      row.append(input, label);
      set.append(row);
    });
    box.append(set);
  }
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

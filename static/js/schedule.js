// My Schedule: open the New appointment form in a <dialog> instead of a new page, submit it
// in place (errors stay beside the fields), and show the "can't join yet" notice.
// Without this module every link and form still works as a plain page.
import "./schedule-grid.js";

const dialog = document.getElementById("appointment-dialog");

function setUpForm(root) {
  const form = root.querySelector("form[data-new-appointment]");
  if (!form) return;
  // The first client and, for a couple or a family, the others.
  const clients = [...form.querySelectorAll("select[data-portal-select]")];
  const tele = form.querySelector("input[data-tele-checkbox]");
  const location = form.querySelector("select[name=location]");
  const notice = root.querySelector("[data-no-portal-notice]");
  const noticeText = notice?.querySelector("[data-no-portal-text]");
  const invite = root.querySelector("form[data-invite-form]");
  const inviteButton = invite?.querySelector("[data-invite-button]");

  const update = () => {
    const lacking = clients
      .map((select) => select.selectedOptions[0])
      .filter((option) => option && option.value && option.hasAttribute("data-no-portal"));
    const first = lacking[0];
    const noPortal = Boolean(first);
    const wantsTele = Boolean((tele && tele.checked) || (location && location.value === "teletherapy"));
    const chosen = clients.filter((select) => select.value).length;
    if (noticeText) {
      // The option's label is "Last, First (no portal account)": name the person.
      const names = lacking.map((option) => option.textContent.replace(/ \(no portal account\)$/, ""));
      noticeText.textContent =
        chosen > 1 && noPortal
          ? `Can't join yet, no client portal account: ${names.join("; ")}.`
          : "Client can't join yet: no client portal account.";
    }
    if (notice) notice.hidden = !(noPortal && wantsTele);
    if (invite) {
      invite.hidden = !(noPortal && wantsTele);
      if (noPortal) {
        invite.action = invite.dataset.inviteTemplate.replace("/0/", `/${first.value}/`);
        if (inviteButton) {
          inviteButton.textContent =
            chosen > 1 ? `Send invite to ${first.textContent.replace(/ \(no portal account\)$/, "")}` : "Send invite";
        }
      }
    }
  };
  // Keep the checkbox and the location in step: both say "Teletherapy".
  tele?.addEventListener("change", () => {
    if (location) location.value = tele.checked ? "teletherapy" : "office";
    update();
  });
  location?.addEventListener("change", () => {
    if (tele) tele.checked = location.value === "teletherapy";
    update();
  });
  for (const select of clients) select.addEventListener("change", update);
  update();

  if (dialog && dialog.contains(form)) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const button = form.querySelector("button[type=submit]");
      if (button) button.disabled = true;
      try {
        const response = await fetch(form.action, {
          method: "POST",
          body: new FormData(form),
          credentials: "same-origin",
        });
        const target = response.headers.get("X-Location");
        if (response.status === 204 && target) {
          window.location.assign(target);
          return;
        }
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        showInDialog(await response.text());
      } catch (error) {
        form.submit(); // fall back to the plain page
      }
    });
    root.querySelector("[data-close-dialog]")?.addEventListener("click", () => dialog.close());
  }
}

function showInDialog(html) {
  dialog.innerHTML = html;
  setUpForm(dialog);
  if (!dialog.open) dialog.showModal();
  const firstError = dialog.querySelector(".has-error input, .has-error select, .has-error textarea");
  (firstError || dialog.querySelector("select, input:not([type=hidden])"))?.focus();
}

async function openSlot(link) {
  const url = new URL(link.href, window.location.href);
  url.searchParams.set("partial", "1");
  try {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    showInDialog(await response.text());
  } catch (error) {
    window.location.assign(link.href);
  }
}

if (dialog && typeof dialog.showModal === "function") {
  document.addEventListener("click", (event) => {
    const link = event.target.closest("a.slot, a.month-new, a.new-appointment");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    event.preventDefault();
    openSlot(link);
  });
  dialog.addEventListener("close", () => {
    dialog.innerHTML = "";
  });
}

for (const picker of document.querySelectorAll("form[data-autosubmit]")) {
  picker.querySelector("select")?.addEventListener("change", () => picker.submit());
}

setUpForm(document);

// Drag an appointment onto an empty slot to move it there (the Edit tab does the same
// without a mouse). The move is a plain form post; the server checks every rule.
const moveForm = document.getElementById("move-form");
if (moveForm) {
  let moving = null;
  for (const appt of document.querySelectorAll("a.appt[data-move-url]")) {
    appt.draggable = true;
    appt.addEventListener("dragstart", (event) => {
      moving = appt.dataset.moveUrl;
      event.dataTransfer.effectAllowed = "move";
      event.dataTransfer.setData("text/plain", appt.textContent.trim());
    });
    appt.addEventListener("dragend", () => {
      moving = null;
    });
  }
  document.addEventListener("dragover", (event) => {
    if (moving && event.target.closest("a.slot")) event.preventDefault();
  });
  document.addEventListener("drop", (event) => {
    const slot = event.target.closest("a.slot");
    if (!moving || !slot) return;
    event.preventDefault();
    const url = new URL(slot.href, window.location.href);
    moveForm.action = moving;
    moveForm.elements.date.value = url.searchParams.get("date");
    moveForm.elements.time.value = url.searchParams.get("time");
    moveForm.submit();
  });
}

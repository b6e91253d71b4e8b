// Every page: the main menu folds behind a Menu button on narrow screens (a disclosure;
// without this module, or on a wide screen, the menu is simply shown), Escape closes it and
// other drawers, and after a save the confirmation message takes the focus so it is read out.

const button = document.querySelector(".menu-button");
const menu = button && document.getElementById(button.getAttribute("aria-controls"));

function setOpen(open) {
  button.setAttribute("aria-expanded", String(open));
  menu.classList.toggle("open", open);
}

if (button && menu) {
  document.documentElement.classList.add("has-menu");
  button.hidden = false;
  button.addEventListener("click", () => {
    setOpen(button.getAttribute("aria-expanded") !== "true");
  });
}

// Escape closes what a disclosure button opened (the menu, the call's Devices drawer) and
// puts the focus back on that button. Dialogs close on Escape by themselves.
document.addEventListener("keydown", (event) => {
  if (event.key !== "Escape" || event.defaultPrevented || document.querySelector("dialog[open]")) return;
  const opener = [...document.querySelectorAll('button[aria-expanded="true"][aria-controls]')].pop();
  if (!opener) return;
  opener.click();
  opener.focus();
});

const messages = document.querySelector(".messages");
if (messages && !document.querySelector("[autofocus]")) {
  messages.focus({ preventScroll: false });
}

// Licensed U.S. states: a long list of checkboxes gets a filter box above it and the chosen
// states as chips (each a button that unticks it). The checkboxes stay the form's fields, so
// without this module the plain list still works.

function enhance(fieldset) {
  const boxes = [...fieldset.querySelectorAll("input[data-state-choice]")];
  const list = fieldset.querySelector(".choice-list");
  const legend = fieldset.querySelector("legend");
  const nameOf = (box) => box.closest("label")?.textContent.trim() || box.value;

  const chips = document.createElement("ul");
  chips.className = "chips";
  chips.setAttribute("aria-label", `Chosen: ${legend ? legend.textContent : "states"}`);
  const filterId = `${boxes[0].name}-filter`;
  const filterLabel = document.createElement("label");
  filterLabel.htmlFor = filterId;
  filterLabel.textContent = "Filter states";
  const filter = document.createElement("input");
  filter.type = "search";
  filter.id = filterId;
  filter.autocomplete = "off";
  filter.className = "choice-filter";
  const status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  list.classList.add("scrolls");
  list.before(chips, filterLabel, filter, status);

  const draw = () => {
    chips.replaceChildren(
      ...boxes
        .filter((box) => box.checked)
        .map((box) => {
          const item = document.createElement("li");
          const chip = document.createElement("button");
          chip.type = "button";
          chip.className = "chip";
          chip.textContent = `${nameOf(box)} ×`;
          chip.setAttribute("aria-label", `Remove ${nameOf(box)}`);
          chip.addEventListener("click", () => {
            box.checked = false;
            draw();
            (chips.querySelector("button") || filter).focus();
          });
          item.append(chip);
          return item;
        }),
    );
    chips.hidden = !chips.children.length;
  };

  filter.addEventListener("input", () => {
    const wanted = filter.value.trim().toLowerCase();
    let shown = 0;
    for (const box of boxes) {
      const row = box.closest("label")?.parentElement || box;
      const match = !wanted || nameOf(box).toLowerCase().includes(wanted) || box.value.toLowerCase() === wanted;
      row.hidden = !match;
      if (match) shown += 1;
    }
    status.textContent = `${shown} of ${boxes.length} shown`;
  });
  filter.addEventListener("keydown", (event) => {
    // Enter in the filter picks the only match instead of submitting the form.
    if (event.key !== "Enter") return;
    event.preventDefault();
    const visible = boxes.filter((box) => !(box.closest("label")?.parentElement || box).hidden);
    if (visible.length === 1) {
      visible[0].checked = !visible[0].checked;
      draw();
    }
  });
  for (const box of boxes) box.addEventListener("change", draw);
  draw();
}

for (const fieldset of document.querySelectorAll("fieldset")) {
  if (fieldset.querySelector("input[data-state-choice]")) enhance(fieldset);
}

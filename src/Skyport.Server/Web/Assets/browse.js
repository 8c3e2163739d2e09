"use strict";
// The bucket browser: walks prefixes like folders through GET /api/cloud/storage/list (a page at a time) and keeps the
// selection across folders; the import form posts the selection to the page, which queues it with the cloud get service.
(() => {
  const browse = document.getElementById("browse-form");
  if (!browse) return;
  const importForm = document.getElementById("import-form");
  const rows = document.getElementById("browse-rows");
  const table = document.getElementById("browse-table");
  const status = document.getElementById("browse-status");
  const more = document.getElementById("browse-more");
  const path = document.getElementById("browse-path");
  const prefixChoice = document.getElementById("prefix-choice");
  const prefixBox = document.getElementById("import-prefix");
  const selected = new Set();
  let where = { authz: "", bucket: "", prefix: "" };
  let nextToken = null;

  browse.addEventListener("submit", (event) => {
    event.preventDefault();
    selected.clear();
    open(browse.elements.authz.value, browse.elements.bucket.value.trim(), "");
  });
  more.addEventListener("click", () => load(false));

  function open(authz, bucket, prefix) {
    where = { authz, bucket, prefix };
    document.getElementById("import-authz").value = authz;
    document.getElementById("import-bucket").value = bucket;
    prefixBox.checked = false;
    prefixBox.value = prefix;
    prefixChoice.hidden = prefix === "";
    prefixChoice.querySelector("span").textContent = `Import everything under ${prefix}`;
    drawPath();
    load(true);
  }

  async function load(reset) {
    if (reset) { rows.replaceChildren(); nextToken = null; }
    status.textContent = "Loading…";
    const query = new URLSearchParams({ authz_id: where.authz, bucket: where.bucket, delimiter: "/", limit: "100" });
    if (where.prefix) query.set("prefix", where.prefix);
    if (nextToken) query.set("page_token", nextToken);
    try {
      const page = await Skyport.api(`/api/cloud/storage/list?${query}`);
      for (const prefix of page.prefixes) rows.append(folderRow(prefix));
      for (const object of page.objects) {
        if (object.key === where.prefix) continue; // the folder's own marker
        rows.append(objectRow(object));
      }
      nextToken = page.next_page_token;
      more.hidden = !nextToken;
      table.hidden = rows.children.length === 0;
      describe(rows.children.length === 0 ? "Nothing here." : null);
    } catch (error) {
      table.hidden = rows.children.length === 0;
      status.textContent = error.message;
      status.classList.add("error-text");
    }
  }

  function describe(text) {
    status.classList.remove("error-text");
    status.textContent = text || `${rows.children.length} item(s) shown · ${selected.size} object(s) selected`;
  }

  function name(key) {
    return key.substring(where.prefix.length);
  }

  function folderRow(prefix) {
    const tr = Skyport.element("tr", { class: "folder" });
    tr.append(Skyport.element("td"));
    const cell = Skyport.element("td");
    const button = Skyport.element("button", { type: "button", class: "link" }, `📁 ${name(prefix)}`);
    button.addEventListener("click", () => open(where.authz, where.bucket, prefix));
    cell.append(button);
    tr.append(cell, Skyport.element("td", {}, "folder"), Skyport.element("td"));
    return tr;
  }

  function objectRow(object) {
    const tr = Skyport.element("tr");
    const id = `object-${rows.children.length}-${Math.random().toString(36).slice(2, 8)}`;
    const box = Skyport.element("input", { type: "checkbox", id, value: object.key });
    box.checked = selected.has(object.key);
    box.addEventListener("change", () => {
      if (box.checked) selected.add(object.key); else selected.delete(object.key);
      describe();
    });
    const pick = Skyport.element("td");
    pick.append(box);
    const label = Skyport.element("td");
    label.append(Skyport.element("label", { for: id }, name(object.key)));
    const modified = object.last_modified ? object.last_modified.replace("T", " ").substring(0, 16) : "";
    tr.append(pick, label, Skyport.element("td", {}, Skyport.bytes(object.size)), Skyport.element("td", {}, modified));
    return tr;
  }

  function drawPath() {
    path.replaceChildren();
    const parts = where.prefix.split("/").filter((p) => p.length > 0);
    const crumb = (text, prefix) => {
      const button = Skyport.element("button", { type: "button", class: "link" }, text);
      button.addEventListener("click", () => open(where.authz, where.bucket, prefix));
      path.append(button, document.createTextNode(" / "));
    };
    crumb(where.bucket, "");
    let prefix = "";
    for (const part of parts) {
      prefix += `${part}/`;
      crumb(part, prefix);
    }
  }

  importForm.addEventListener("submit", (event) => {
    for (const old of importForm.querySelectorAll("input[data-selected]")) old.remove();
    if (!where.bucket) { event.preventDefault(); status.textContent = "List a bucket first."; return; }
    if (!prefixBox.checked) {
      if (selected.size === 0) { event.preventDefault(); status.textContent = "Select objects (or the whole folder) to import."; return; }
      for (const key of selected) {
        importForm.append(Skyport.element("input", { type: "hidden", name: "objects", value: key, "data-selected": "" }));
      }
    }
  });

  if (browse.elements.bucket.value.trim()) open(browse.elements.authz.value, browse.elements.bucket.value.trim(), "");
})();

"use strict";
// The history page: resumable (TUS 1.0) uploads into the history, then Galaxy's fetch tool, with a progress bar per file;
// and live state badges while datasets are being made.
(() => {
  const section = document.getElementById("upload");
  if (!section) return;
  const historyId = section.dataset.history;
  const form = document.getElementById("upload-form");
  const input = document.getElementById("upload-files");
  const zone = document.getElementById("dropzone");
  const list = document.getElementById("upload-list");
  const CHUNK_BYTES = 8 * 1024 * 1024;
  const RETRIES = 5;
  const TUS = "/api/upload/resumable_upload/";
  let active = 0;

  zone.addEventListener("click", () => input.click());
  zone.addEventListener("keydown", (e) => {
    if (e.key === "Enter" || e.key === " ") { e.preventDefault(); input.click(); }
  });
  for (const type of ["dragenter", "dragover"]) zone.addEventListener(type, (e) => { e.preventDefault(); zone.classList.add("over"); });
  for (const type of ["dragleave", "drop"]) zone.addEventListener(type, (e) => { e.preventDefault(); zone.classList.remove("over"); });
  zone.addEventListener("drop", (e) => start(e.dataTransfer.files));
  // Files dropped beside the drop area would make the browser open them in place of this page, ending the uploads under way.
  for (const type of ["dragover", "drop"]) {
    document.addEventListener(type, (e) => { if (e.dataTransfer && [...e.dataTransfer.types].includes("Files")) e.preventDefault(); });
  }
  input.addEventListener("change", () => { start([...input.files]); input.value = ""; });

  function start(files) {
    for (const file of files) upload(file);
  }

  function row(file) {
    const li = Skyport.element("li");
    li.append(Skyport.element("span", { class: "file" }, file.name));
    const bar = Skyport.element("progress", { max: "100", value: "0", "aria-label": `Upload of ${file.name}` });
    li.append(bar);
    const state = Skyport.element("span", { class: "badge state-new" }, "waiting");
    li.append(state);
    const detail = Skyport.element("span", { class: "hint" }, Skyport.bytes(file.size));
    li.append(detail);
    list.append(li);
    return {
      li, bar, detail,
      set(text, css) { state.textContent = text; state.className = `badge state-${css || text}`; },
    };
  }

  async function upload(file) {
    const ui = row(file);
    active++;
    try {
      const ext = form.elements.ext.value;
      const dbkey = form.elements.dbkey.value.trim() || "?";
      ui.set("uploading", "running");
      const session = await createSession(file);
      await sendBytes(file, session, ui);
      ui.set("queued");
      const queued = await Skyport.api("/api/tools/fetch", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({
          history_id: historyId,
          targets: [{ destination: { type: "hdas" }, elements: [{ src: "files", name: file.name, ext, dbkey }] }],
          "files_0|file_data": { session_id: session, name: file.name },
        }),
      });
      await watch(queued.outputs[0].id, ui);
    } catch (error) {
      ui.li.classList.add("failed");
      ui.set("error");
      ui.detail.textContent = error.message;
    } finally {
      active--;
      if (active === 0 && !list.querySelector(".failed")) setTimeout(() => location.reload(), 1000);
    }
  }

  function metadata(name) {
    const utf8 = new TextEncoder().encode(name);
    let binary = "";
    for (const b of utf8) binary += String.fromCharCode(b);
    return `filename ${btoa(binary)}`;
  }

  async function createSession(file) {
    const response = await fetch(TUS, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Tus-Resumable": "1.0.0", "Upload-Length": String(file.size), "Upload-Metadata": metadata(file.name) },
    });
    if (response.status !== 201) throw new Error(await errorText(response));
    const location = response.headers.get("Location");
    return location.substring(location.lastIndexOf("/") + 1);
  }

  async function errorText(response) {
    try { return (await response.json()).err_msg || `HTTP ${response.status}`; } catch { return `HTTP ${response.status}`; }
  }

  // Sends the file in chunks from the server's offset; after a failure it asks the server where to resume (HEAD).
  async function sendBytes(file, session, ui) {
    let offset = 0;
    let failures = 0;
    while (offset < file.size) {
      try {
        offset = await patch(file, session, offset, ui);
        failures = 0;
      } catch (error) {
        if (error.final || ++failures > RETRIES) throw error;
        await new Promise((resolve) => setTimeout(resolve, 500 * 2 ** failures));
        offset = await serverOffset(session);
      }
    }
    ui.bar.value = 100;
  }

  function patch(file, session, offset, ui) {
    return new Promise((resolve, reject) => {
      const xhr = new XMLHttpRequest();
      xhr.open("PATCH", TUS + session);
      xhr.setRequestHeader("Tus-Resumable", "1.0.0");
      xhr.setRequestHeader("Upload-Offset", String(offset));
      xhr.setRequestHeader("Content-Type", "application/offset+octet-stream");
      xhr.upload.onprogress = (e) => {
        const done = offset + e.loaded;
        ui.bar.value = file.size ? Math.floor((100 * done) / file.size) : 100;
        ui.detail.textContent = `${Skyport.bytes(done)} of ${Skyport.bytes(file.size)}`;
      };
      xhr.onload = () => {
        if (xhr.status === 204) return resolve(Number(xhr.getResponseHeader("Upload-Offset")));
        let message = `HTTP ${xhr.status}`;
        try { message = JSON.parse(xhr.responseText).err_msg || message; } catch { /* not JSON */ }
        const error = new Error(message);
        error.final = xhr.status >= 400 && xhr.status < 500 && xhr.status !== 409;
        reject(error);
      };
      xhr.onerror = () => reject(new Error("The connection failed."));
      xhr.send(file.slice(offset, offset + CHUNK_BYTES));
    });
  }

  async function serverOffset(session) {
    const response = await fetch(TUS + session, { method: "HEAD", credentials: "same-origin", headers: { "Tus-Resumable": "1.0.0" } });
    if (!response.ok) throw Object.assign(new Error(`The upload session is gone (HTTP ${response.status}).`), { final: true });
    return Number(response.headers.get("Upload-Offset"));
  }

  async function watch(datasetId, ui) {
    for (;;) {
      const dataset = await Skyport.api(`/api/datasets/${datasetId}`);
      ui.set(dataset.state);
      if (dataset.state === "error") throw new Error(dataset.misc_info || "The upload failed.");
      if (dataset.state === "ok" || dataset.state === "discarded") return;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }

  // Datasets still being made: keep their badges current, and show the finished page once none is pending.
  const pending = () => document.querySelectorAll('tr[data-state="new"], tr[data-state="queued"], tr[data-state="running"]');
  async function refresh() {
    if (pending().length === 0) return;
    try {
      const items = await Skyport.api(`/api/histories/${historyId}/contents?deleted=false`);
      for (const item of items) {
        const tr = document.querySelector(`tr[data-dataset="${item.id}"]`);
        if (!tr || tr.dataset.state === item.state) continue;
        tr.dataset.state = item.state;
        const badge = tr.querySelector("[data-badge]");
        badge.textContent = item.state;
        badge.className = `badge state-${item.state}`;
      }
      const typing = document.activeElement && document.activeElement.matches("input, textarea, select");
      if (pending().length === 0 && active === 0 && !typing) location.reload();
    } catch { /* try again at the next tick */ }
    setTimeout(refresh, 1500);
  }
  setTimeout(refresh, 1500);
})();

"use strict";
// Live progress of every job: polls GET /api/jobs, updates rows in place (so keyboard focus stays put), computes the rate
// between polls, and cancels with DELETE /api/jobs/{id}.
(() => {
  const body = document.getElementById("transfer-rows");
  if (!body) return;
  const status = document.getElementById("transfers-status");
  const seen = new Map(); // job id -> { bytes, at, rate }
  const names = new Map(); // dataset id -> name (or a promise of it)
  const KINDS = { __DATA_FETCH__: "Upload", upload1: "Upload", cloud_get: "Import", cloud_send: "Send" };
  const ACTIVE = new Set(["new", "queued", "running"]);

  function datasetOf(job) {
    const port = job.tool_id === "cloud_send" ? job.inputs.input : job.outputs.output0;
    return port ? port.id : null;
  }

  function nameOf(datasetId, cell) {
    if (!datasetId) return;
    if (!names.has(datasetId)) {
      names.set(datasetId, Skyport.api(`/api/datasets/${datasetId}`).then((d) => d.name, () => datasetId));
    }
    Promise.resolve(names.get(datasetId)).then((name) => { cell.textContent = name; });
  }

  function rowFor(job) {
    let tr = document.getElementById(`job-${job.id}`);
    if (tr) return tr;
    tr = Skyport.element("tr", { id: `job-${job.id}`, "data-job": job.id });
    const what = Skyport.element("td");
    what.append(Skyport.element("strong", {}, KINDS[job.tool_id] || job.tool_id), document.createTextNode(" "));
    const name = Skyport.element("span", { class: "dataset-name" }, "…");
    what.append(name);
    nameOf(datasetOf(job), name);
    const progress = Skyport.element("td");
    progress.append(Skyport.element("progress", { max: "100", value: "0", "aria-label": `Progress of job ${job.id}` }), Skyport.element("span", { class: "bytes" }));
    const cancel = Skyport.element("td");
    const button = Skyport.element("button", { type: "button", class: "small danger" }, "Cancel");
    // The button names what it cancels, for screen readers ("Cancel peaks.bed").
    const cancelled = Skyport.element("span", { class: "visually-hidden" });
    button.append(document.createTextNode(" "), cancelled);
    nameOf(datasetOf(job), cancelled);
    button.addEventListener("click", () => cancelJob(job.id, button));
    cancel.append(button);
    tr.append(what, Skyport.element("td", { class: "state" }), progress, Skyport.element("td", { class: "rate" }),
      Skyport.element("td", {}, job.create_time.replace("T", " ").substring(0, 19)), Skyport.element("td", { class: "details" }), cancel);
    return tr;
  }

  async function cancelJob(id, button) {
    button.disabled = true;
    try {
      await Skyport.api(`/api/jobs/${id}`, { method: "DELETE" });
      status.textContent = "Cancelled.";
    } catch (error) {
      status.textContent = error.message;
      button.disabled = false;
    }
    poll();
  }

  function update(job, tr) {
    const now = performance.now();
    const previous = seen.get(job.id);
    const done = job.progress.bytes_done;
    const total = job.progress.bytes_total;
    let rate = previous ? previous.rate : null;
    if (previous && now > previous.at && done >= previous.bytes) {
      rate = job.state === "running" ? ((done - previous.bytes) * 1000) / (now - previous.at) : null;
    }
    seen.set(job.id, { bytes: done, at: now, rate });

    const state = tr.querySelector(".state");
    state.replaceChildren(Skyport.element("span", { class: `badge state-${job.state}` }, job.state));
    const bar = tr.querySelector("progress");
    bar.value = job.state === "ok" ? 100 : job.progress.percent || 0;
    tr.querySelector(".bytes").textContent = total ? ` ${Skyport.bytes(done)} of ${Skyport.bytes(total)}` : ` ${Skyport.bytes(done)}`;
    tr.querySelector(".rate").textContent = rate && rate > 0 ? `${Skyport.bytes(rate)}/s` : "";
    const details = tr.querySelector(".details");
    details.textContent = job.state === "error" ? job.stderr : job.info;
    details.classList.toggle("error-text", job.state === "error");
    tr.querySelector("button").hidden = !ACTIVE.has(job.state);
  }

  let timer = null;
  async function poll(schedule = true) {
    clearTimeout(timer);
    let busy = false;
    try {
      const jobs = await Skyport.api("/api/jobs?limit=100");
      const rows = jobs.map((job) => {
        const tr = rowFor(job);
        update(job, tr);
        busy = busy || ACTIVE.has(job.state);
        return tr;
      });
      rows.forEach((tr, i) => { if (body.children[i] !== tr) body.insertBefore(tr, body.children[i] || null); });
      while (body.children.length > rows.length) body.lastElementChild.remove();
      if (!status.textContent || status.dataset.auto) {
        status.textContent = jobs.length === 0 ? "No transfers yet." : busy ? "Updating every second." : "All transfers have finished.";
        status.dataset.auto = "1";
      }
    } catch (error) {
      status.textContent = error.message;
    }
    if (schedule) timer = setTimeout(poll, busy ? 1000 : 4000);
  }
  poll();
})();

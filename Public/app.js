// lskeld web form: upload an object, read its manifest, download the loader.
"use strict";

const $ = (id) => document.getElementById(id);
let current = null;  // { response, manifest }

function text(tag, value, className) {
  const node = document.createElement(tag);
  node.textContent = value === undefined || value === null ? "" : String(value);
  if (className) node.className = className;
  return node;
}

function row(cells, className) {
  const tr = document.createElement("tr");
  if (className) tr.className = className;
  for (const cell of cells) {
    const td = cell instanceof Node ? cell : text("td", cell);
    if (!(cell instanceof Node) && typeof cell === "number") td.className = "num";
    tr.appendChild(td.tagName === "TD" ? td : wrap(td));
  }
  return tr;
}

function wrap(node) { const td = document.createElement("td"); td.appendChild(node); return td; }

function fill(tableId, rows) {
  const body = $(tableId).querySelector("tbody");
  body.replaceChildren(...rows);
}

function formatBytes(count) { return count < 1024 ? `${count} B` : `${(count / 1024).toFixed(1)} KiB`; }

function setStatus(message, percent) {
  $("status").textContent = message;
  const bar = $("progress");
  if (percent === null) { bar.hidden = true; return; }
  bar.hidden = false;
  if (percent === undefined) bar.removeAttribute("value"); else bar.value = percent;
}

function showError(title, detail, log) {
  $("result").hidden = true;
  $("error").hidden = false;
  $("error-title").textContent = title;
  $("error-detail").textContent = detail;
  $("error-log").textContent = (log || []).join("\n");
  $("error-log-box").hidden = !(log && log.length);
  $("error").focus?.();
}

function chosenFile() {
  const file = $("object").files[0];
  $("chosen").textContent = file ? `${file.name} (${formatBytes(file.size)})` : "";
  return file;
}

// Drop zone and keyboard access to the file chooser.
function setupDrop() {
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files.length) { $("object").files = e.dataTransfer.files; chosenFile(); }
  });
  drop.addEventListener("keydown", (e) => {
    if ((e.key === "Enter" || e.key === " ") && e.target === drop) { e.preventDefault(); $("object").click(); }
  });
  $("object").addEventListener("change", chosenFile);
}

function formData() {
  const data = new FormData();
  data.append("object", $("object").files[0]);
  for (const field of ["name", "kernel_release", "cpus"]) {
    const value = $(field).value.trim();
    if (value) data.append(field, value);
  }
  if ($("kconfig").files[0]) data.append("kconfig", $("kconfig").files[0]);
  for (const line of $("max_entries").value.split("\n")) {
    if (line.trim()) data.append("max_entries", line.trim());
  }
  const verify = checkedKernels();
  if (verify) data.append("verify", verify);
  if ($("sign").value) {
    data.append("sign", $("sign").value);
    data.append("sign_scheme", $("sign_scheme").value);
  }
  return data;
}

/** The server's signing keys (/v1/info), as choices. */
async function loadSigningKeys() {
  try {
    const info = await (await fetch("/v1/info")).json();
    const keys = info.signing_keys || [];
    $("sign").replaceChildren(text("option", keys.length ? "Do not sign" : "Do not sign (this server holds no signing keys)"),
      ...keys.map((key) => { const o = text("option", `${key.name} (${key.subject})`); o.value = key.name; return o; }));
    $("sign").options[0].value = "";
  } catch {
    // The form still generates unsigned loaders.
  }
}

/** The kernels ticked in the verify list, comma-separated ("" for none). */
function checkedKernels() {
  return [...document.querySelectorAll("#verify-kernels input:checked")].map((box) => box.value).join(",");
}

/** One checkbox per kernel the server has (/readyz), or a note that it has none. */
async function loadKernels() {
  const box = $("verify-kernels");
  try {
    const ready = await (await fetch("/readyz")).json();
    const kernels = ready.kernels || [];
    if (!kernels.length) {
      box.replaceChildren(text("p", "This server has no kernels to verify on (lskeld --kernels)."));
      return;
    }
    box.replaceChildren(...kernels.map((kernel) => {
      const label = document.createElement("label");
      label.className = "check";
      const input = document.createElement("input");
      input.type = "checkbox";
      input.name = "verify";
      input.value = kernel.series;
      label.append(input, ` ${kernel.series} (${kernel.version})`);
      return label;
    }));
  } catch {
    box.replaceChildren(text("p", "The server's kernels could not be listed."));
  }
}

function curlCommand(file) {
  const parts = ["curl", "-F", `object=@${file.name}`];
  for (const field of ["name", "kernel_release", "cpus"]) {
    const value = $(field).value.trim();
    if (value) parts.push("-F", `${field}=${value}`);
  }
  if ($("kconfig").files[0]) parts.push("-F", `kconfig=@${$("kconfig").files[0].name}`);
  for (const line of $("max_entries").value.split("\n")) if (line.trim()) parts.push("-F", `max_entries=${line.trim()}`);
  if (checkedKernels()) parts.push("-F", `verify=${checkedKernels()}`);
  if ($("sign").value) parts.push("-F", `sign=${$("sign").value}`, "-F", `sign_scheme=${$("sign_scheme").value}`);
  parts.push(`'${location.origin}/v1/loaders?format=tar'`, "-o", "loader.tar");
  return parts.map((p) => (p.startsWith("'") || !/[\s'"$`\\]/.test(p) ? p : `'${p.replace(/'/g, "'\\''")}'`)).join(" ");
}

function submit(event) {
  event.preventDefault();
  const file = chosenFile();
  if (!file) { showError("No object chosen", "Choose a .bpf.o file to upload."); return; }
  $("error").hidden = true;
  $("submit").disabled = true;
  const request = new XMLHttpRequest();
  request.open("POST", "/v1/loaders");
  request.setRequestHeader("Accept", "application/json");
  request.upload.onprogress = (e) => {
    if (e.lengthComputable) setStatus(`Uploading ${Math.round((e.loaded / e.total) * 100)}%`, (e.loaded / e.total) * 100);
  };
  request.upload.onload = () => setStatus("Generating in a sandboxed worker…", undefined);
  request.onerror = () => { $("submit").disabled = false; setStatus("", null); showError("Network error", "The service could not be reached."); };
  request.onload = () => {
    $("submit").disabled = false;
    setStatus("", null);
    let body = null;
    try { body = JSON.parse(request.responseText); } catch (e) { body = null; }
    if (request.status !== 200 || !body) {
      const title = body && body.title ? body.title : `HTTP ${request.status}`;
      const detail = body && body.detail ? body.detail : request.statusText || "The service gave no explanation.";
      showError(title, detail, body && body.libbpf_log);
      return;
    }
    render(body, curlCommand(file));
  };
  setStatus("Uploading 0%", 0);
  request.send(formData());
}

function render(response, curl) {
  const manifest = response.manifest;
  current = { response, manifest };
  $("error").hidden = true;
  $("result").hidden = false;
  $("result-title").textContent = `Loader ${response.name}`;
  const verification = response.verification || [];
  $("verification-box").hidden = verification.length === 0;
  fill("verification", verification.map((entry) => row([entry.kernel, entry.version, entry.loader || "error",
    entry.libbpf || "-", entry.reason || entry.error || ""], entry.loader === "loads" ? "" : "rejected")));

  const object = manifest.object, loader = manifest.loader;
  const summary = [
    ["Object", `${object.name}, ${formatBytes(object.size)}`],
    ["Object SHA-256", object.sha256],
    ["License", object.license || "none"],
    ["Skeleton", `${loader.skeleton_name} (context ${loader.ctx_size} bytes)`],
    ["Loader instructions", `${formatBytes(loader.insns_size)}, SHA-256 ${loader.insns_sha256}`],
    ["Loader data", `${formatBytes(loader.data_size)}, SHA-256 ${loader.data_sha256}`],
    ["Key", response.key],
    ["Sandbox", response.sandbox_level],
    ["Cached", response.cached ? "yes" : "no"],
  ];
  if (manifest.signature) {
    const sig = manifest.signature;
    summary.push(["Signature", `${sig.scheme} with key ${sig.key_name} (${sig.certificate_subject}), ${formatBytes(sig.signature_size)}, keyring ${sig.keyring}`]);
    summary.push(["Certificate SHA-256", sig.certificate_sha256]);
  }
  $("summary").replaceChildren(...summary.flatMap(([k, v]) => [text("dt", k), text("dd", v)]));

  $("warnings").replaceChildren(...manifest.warnings.map((w) => text("p", w.message, "warning")));
  const profile = manifest.profile;
  const show = (v) => (v === undefined || v === null ? "none" : typeof v === "object" ? (Object.keys(v).length ? Object.entries(v).map(([k, n]) => `${k}=${n}`).join(", ") : "none") : v);
  const profileRows = [
    ["Kernel release", show(profile.kernel_release.value), profile.kernel_release],
    ["Possible CPUs", show(profile.cpus.value), profile.cpus],
    ["Page size", show(profile.page_size.value), profile.page_size],
    ["Kernel config", profile.kconfig.value ? `SHA-256 ${profile.kconfig.value}` : "empty", profile.kconfig],
    ["Map sizes", show(profile.max_entries.value), profile.max_entries],
    ...Object.entries(profile.kconfig_values).map(([k, v]) => [k, v, { source: "kconfig", consumed: true }]),
  ];
  fill("profile", profileRows.map(([name, value, meta]) => row([name, value, meta.source, meta.consumed ? "yes" : "no"], meta.consumed ? "baked" : "")));

  const base = `/v1/loaders/${response.key}`;
  const stem = object.name.replace(/\.bpf\.o$|\.o$/, "");
  const files = [["header", `${stem}.lskel.h`], ["insns", `${stem}.insns.bin`], ["data", `${stem}.data.bin`], ["manifest", `${stem}.manifest.json`], ["tar", `${stem}.lskel.tar`]];
  if (response.signature) files.push(["sig", `${stem}.sig`]);
  $("downloads").replaceChildren(...files.map(([part, name]) => {
    const li = document.createElement("li");
    const a = text("a", name);
    a.href = (response.links && response.links[part]) || `${base}/${part}`;
    a.setAttribute("download", name);
    a.id = `download-${part}`;
    li.appendChild(a);
    return li;
  }));
  $("curl").textContent = curl;

  fill("programs", manifest.programs.map((p) => row([p.name, p.section, p.type_name, p.attach_target || "—", p.insn_count, p.relocations.length])));
  fill("maps", manifest.maps.map((m) => row([m.name, m.type_name, m.key_size, m.value_size, m.max_entries, m.max_entries_source], m.max_entries_source === "object" ? "" : "baked")));

  const programSelect = $("reloc-program");
  programSelect.replaceChildren(...manifest.programs.map((p, i) => { const o = text("option", p.name); o.value = String(i); return o; }));
  const kinds = [...new Set(manifest.programs.flatMap((p) => p.relocations.map((r) => r.kind)))].sort();
  $("reloc-kind").replaceChildren(text("option", "all"), ...kinds.map((k) => text("option", k)));
  $("reloc-kind").options[0].value = "";
  renderRelocations();

  $("log").textContent = (response.libbpf_log || []).join("\n") || "(no messages)";
  $("result-title").scrollIntoView?.({ block: "start" });
}

function renderRelocations() {
  if (!current) return;
  const program = current.manifest.programs[Number($("reloc-program").value) || 0];
  if (!program) { fill("relocations", []); return; }
  const kind = $("reloc-kind").value;
  const rows = program.relocations.filter((r) => !kind || r.kind === kind).map((r) => {
    let target = r.name || "", detail = "";
    if (r.kind === "core") { target = r.field_path || r.root_type; detail = `${r.core_kind} (access ${r.access})`; }
    else if (r.kind === "map_value") detail = `offset ${r.offset}`;
    else if (r.kind === "kconfig") detail = `value ${r.value}`;
    else if (r.kind === "call") detail = `at insn ${r.target}`;
    else if (r.kind === "func_ref") detail = `callback at insn ${r.target}`;
    else if (r.kind === "ksym") detail = `${r.typed ? "typed" : "typeless"}${r.weak ? ", weak" : ""}`;
    else if (r.kind === "kfunc") detail = r.weak ? "weak" : "";
    const origin = r.origin ? `${r.origin.section}+${r.origin.insn_offset}` : "";
    return row([r.insn, text("td", r.kind, "kind"), target, detail, origin]);
  });
  fill("relocations", rows);
  $("reloc-count").textContent = `${rows.length} of ${program.relocations.length} relocations`;
}

async function copyCurl() {
  const command = $("curl").textContent;
  try { await navigator.clipboard.writeText(command); $("copy-curl").textContent = "Copied"; }
  catch (e) {
    const range = document.createRange(); range.selectNodeContents($("curl"));
    const selection = window.getSelection(); selection.removeAllRanges(); selection.addRange(range);
    $("copy-curl").textContent = "Selected: press Ctrl+C";
  }
  setTimeout(() => { $("copy-curl").textContent = "Copy"; }, 2000);
}

document.addEventListener("DOMContentLoaded", () => {
  setupDrop();
  $("generate").addEventListener("submit", submit);
  loadKernels();
  loadSigningKeys();
  $("reloc-program").addEventListener("change", renderRelocations);
  $("reloc-kind").addEventListener("change", renderRelocations);
  $("copy-curl").addEventListener("click", copyCurl);
});

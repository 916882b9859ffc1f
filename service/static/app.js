// RoleLens page: send a text or a file to the API and show the lean and its evidence.
"use strict";

const $ = (id) => document.getElementById(id);

// "ml_engineer" -> "ML engineer": labels come from the model, never from this file.
function pretty(label) {
  const words = label.split("_").map((w) => (w.length <= 2 ? w.toUpperCase() : w));
  const text = words.join(" ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

function showError(message) {
  $("error").textContent = message;
  $("error").hidden = false;
  $("result").hidden = true;
}

// Evidence offsets count Unicode code points (Python), so slice code points, not UTF-16 units.
function highlight(container, text, evidence, roleClass) {
  container.replaceChildren();
  const chars = Array.from(text);
  let at = 0;
  for (const e of [...evidence].sort((x, y) => x.start - y.start)) {
    if (e.start < at) continue;
    container.append(chars.slice(at, e.start).join(""));
    const mark = document.createElement("mark");
    // A role name that names a colleague weighs nothing: marked apart, not as support for its role.
    const colleague = e.kind === "colleague";
    mark.className = colleague ? "colleague" : roleClass[e.role] || "";
    mark.textContent = chars.slice(e.start, e.end).join("");
    mark.title = colleague
      ? `${pretty(e.role)} named as a colleague · weight 0`
      : `${pretty(e.role)} · ${e.kind} · weight ${e.weight}`;
    container.append(mark);
    at = e.end;
  }
  container.append(chars.slice(at).join(""));
}

// What each scope answer means to a reader; the lean of a text that is not in scope says little.
const SCOPE_TEXT = {
  in: "In scope: this text is about data science or ML work.",
  adjacent: "Adjacent: this text is about a neighbouring data job (such as data analyst or data engineer), not data science or ML work; read the lean as a hint only.",
  out: "Out of scope: this text is not about data science or ML work, so the lean below says little.",
};

function showScope(result) {
  const scope = $("scope");
  scope.hidden = !result.scope;
  if (!result.scope) return;
  const p = (result.p_in_scope * 100).toFixed(0);
  scope.textContent = `${SCOPE_TEXT[result.scope]} (probability in scope ${p}%)`;
  scope.className = `scope ${result.scope}`;
}

function render(result, text, source) {
  const labels = Object.keys(result.probabilities);
  const [a, b] = labels;
  const roleClass = { [a]: "role-a", [b]: "role-b" };
  const pa = result.probabilities[a];
  const pb = result.probabilities[b];
  $("label").textContent = pretty(result.label);
  $("label").className = roleClass[result.label];
  $("lean").textContent = `${result.lean} lean`;
  $("lean").className = `lean ${result.lean}`;
  $("kind-shown").textContent = `read as a ${result.kind}`;
  showScope(result);
  $("bar-a").style.width = `${(pa * 100).toFixed(1)}%`;
  $("bar-b").style.width = `${(pb * 100).toFixed(1)}%`;
  $("bar").setAttribute("aria-label", `${pretty(a)} ${(pa * 100).toFixed(0)}%, ${pretty(b)} ${(pb * 100).toFixed(0)}%`);
  $("legend-a").textContent = `${pretty(a)} ${(pa * 100).toFixed(0)}%`;
  $("legend-b").textContent = `${pretty(b)} ${(pb * 100).toFixed(0)}%`;
  $("key-a").textContent = pretty(a);
  $("key-b").textContent = pretty(b);
  $("source").textContent = source;
  highlight($("highlighted"), text, result.evidence, roleClass);
  $("no-evidence").hidden = result.evidence.length > 0;
  // The service answers the first ROLELENS_MAX_EVIDENCE phrases of a long text only.
  const cut = result.evidence_total > result.evidence.length;
  $("evidence-cut").hidden = !cut;
  $("evidence-cut").textContent = cut
    ? `The first ${result.evidence.length} of ${result.evidence_total} phrases found are marked.`
    : "";
  $("features").replaceChildren(
    ...result.top_features.map((f) => {
      const li = document.createElement("li");
      li.className = roleClass[f.role] || "";
      // The sign only says which role a feature pushes towards; the role is named instead.
      li.textContent = `${f.feature} (+${Math.abs(f.contribution).toFixed(2)} towards ${pretty(f.role)})`;
      return li;
    }),
  );
  $("version").textContent = result.model_version;
  $("error").hidden = true;
  $("result").hidden = false;
}

async function call(url, init) {
  $("submit").disabled = true;
  try {
    const response = await fetch(url, init);
    const body = await response.json().catch(() => null);
    if (!response.ok) {
      const message = body && body.error ? body.error.message : `the server answered ${response.status}`;
      throw new Error(message);
    }
    return body;
  } finally {
    $("submit").disabled = false;
  }
}

async function classifyText(event) {
  event.preventDefault();
  const text = $("text").value;
  if (!text.trim()) {
    showError("Paste the text of a job posting or a resume first.");
    return;
  }
  try {
    const result = await call("/classify", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text, kind: $("kind").value }),
    });
    render(result, text, `${Array.from(text).length} characters pasted`);
  } catch (err) {
    showError(err.message);
  }
}

async function classifyFile(file) {
  const form = new FormData();
  form.append("file", file);
  form.append("kind", $("kind").value);
  try {
    const result = await call("/classify/file", { method: "POST", body: form });
    const pages = result.pages ? `, ${result.pages} page(s)` : "";
    render(result, result.text, `${result.chars_extracted} characters extracted from ${file.name}${pages}`);
  } catch (err) {
    showError(`${file.name}: ${err.message}`);
  }
}

document.addEventListener("DOMContentLoaded", () => {
  $("classify-form").addEventListener("submit", classifyText);
  $("file").addEventListener("change", (e) => {
    if (e.target.files.length) classifyFile(e.target.files[0]);
    e.target.value = "";
  });
  const drop = $("drop");
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("over");
    if (e.dataTransfer.files.length) classifyFile(e.dataTransfer.files[0]);
  });
});

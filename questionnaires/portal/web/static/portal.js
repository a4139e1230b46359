// Progressive enhancement only: passkey ceremonies (WebAuthn needs JavaScript) and conditional questions shown
// as soon as they apply. Every form works without this file.
(function () {
  "use strict";
  const csrf = () => document.querySelector('meta[name="csrf-token"]').content;
  const toBuffer = (value) => {
    let s = value.replace(/-/g, "+").replace(/_/g, "/");
    while (s.length % 4) s += "=";
    return Uint8Array.from(atob(s), (c) => c.charCodeAt(0)).buffer;
  };
  const toBase64url = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
    .replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  const post = (url, body) => fetch(url, {
    method: "POST", credentials: "same-origin",
    headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf()},
    body: JSON.stringify(body || {}),
  });
  const fail = (kind) => {
    const box = document.getElementById(kind ? "passkey-error-" + kind : "passkey-error") ||
      document.getElementById("passkey-error");
    if (box) box.hidden = false;
  };
  const finish = async (answer) => {
    const data = await answer.json().catch(() => ({}));
    if (answer.ok && data.redirect) { window.location.assign(data.redirect); return; }
    fail(data.error === "locked" || data.error === "throttled" ? data.error : "");
  };

  async function register(button) {
    const options = await (await post(button.dataset.options)).json();
    options.challenge = toBuffer(options.challenge);
    options.user.id = toBuffer(options.user.id);
    (options.excludeCredentials || []).forEach((c) => { c.id = toBuffer(c.id); });
    const credential = await navigator.credentials.create({publicKey: options});
    const response = credential.response;
    await finish(await post(button.dataset.verify, {
      id: credential.id, rawId: toBase64url(credential.rawId), type: credential.type,
      response: {clientDataJSON: toBase64url(response.clientDataJSON),
                 attestationObject: toBase64url(response.attestationObject),
                 transports: response.getTransports ? response.getTransports() : []},
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment,
    }));
  }

  async function signIn(button) {
    const options = await (await post(button.dataset.options)).json();
    options.challenge = toBuffer(options.challenge);
    (options.allowCredentials || []).forEach((c) => { c.id = toBuffer(c.id); });
    const credential = await navigator.credentials.get({publicKey: options});
    const response = credential.response;
    await finish(await post(button.dataset.verify, {
      id: credential.id, rawId: toBase64url(credential.rawId), type: credential.type,
      response: {clientDataJSON: toBase64url(response.clientDataJSON),
                 authenticatorData: toBase64url(response.authenticatorData),
                 signature: toBase64url(response.signature),
                 userHandle: response.userHandle ? toBase64url(response.userHandle) : null},
      clientExtensionResults: credential.getClientExtensionResults(),
      authenticatorAttachment: credential.authenticatorAttachment,
    }));
  }

  function wirePasskeys() {
    if (!window.PublicKeyCredential) return;
    [["passkey-register", register], ["passkey-signin", signIn]].forEach(([id, ceremony]) => {
      const button = document.getElementById(id);
      if (!button) return;
      button.hidden = false;
      button.addEventListener("click", () => {
        document.querySelectorAll('[id^="passkey-error"]').forEach((e) => { e.hidden = true; });
        ceremony(button).catch(() => fail(""));
      });
    });
  }

  function wireConditions() {
    const dependents = Array.from(document.querySelectorAll("fieldset[data-depends-question]"));
    if (!dependents.length) return;
    const chosen = (question) => {
      const box = document.getElementById("q-" + question);
      if (!box || box.hidden) return [];
      return Array.from(document.querySelectorAll('input[name="q.' + question + '"]:checked')).map((i) => i.value);
    };
    const update = () => {
      dependents.forEach((box) => {
        const wanted = box.dataset.dependsAnswers.split(" ");
        const have = chosen(box.dataset.dependsQuestion);
        box.hidden = box.dataset.dependsCondition === "all"
          ? !wanted.every((a) => have.includes(a)) : !wanted.some((a) => have.includes(a));
      });
    };
    document.addEventListener("change", (event) => {
      if (event.target.name && event.target.name.startsWith("q.")) update();
    });
  }

  document.addEventListener("DOMContentLoaded", () => { wirePasskeys(); wireConditions(); });
})();

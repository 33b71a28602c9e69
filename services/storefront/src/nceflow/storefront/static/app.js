// nceflow storefront: progressive enhancement only; every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  // Put keyboard and screen-reader focus on the error summary, so the customer hears what to fix.
  const summary = document.querySelector(".error-summary[tabindex]");
  if (summary) summary.focus();

  // Filters apply as soon as a select changes (the Filter button stays for keyboard users).
  document.querySelectorAll("form[data-autosubmit] select").forEach((select) => {
    select.addEventListener("change", () => select.form.requestSubmit());
  });

  // The order status follows fulfilment without a reload: ask the server for the rendered
  // status section until nothing more will change (failed, or placed and provisioned).
  const live = document.querySelector("[data-status-url]");
  if (live) {
    const url = live.dataset.statusUrl;
    const interval = Number(live.dataset.pollMs || 1000);
    const poll = async () => {
      try {
        const response = await fetch(url, { headers: { Accept: "application/json" }, cache: "no-store" });
        if (response.ok) {
          const body = await response.json();
          if (body.key !== live.dataset.key) {
            live.innerHTML = body.html;
            live.dataset.key = body.key;
          }
          if (body.final) return;
        }
      } catch (error) {
        // Network hiccup: keep polling, the next answer catches up.
      }
      window.setTimeout(poll, interval);
    };
    if (live.dataset.final !== "true") window.setTimeout(poll, interval);
  }
});

// Counts down the resend button. The page works without it: the server refuses an early resend
// and says how long to wait.
for (const button of document.querySelectorAll('button[data-wait]')) {
  let left = Number(button.dataset.wait);
  if (!(left > 0)) continue;
  const label = button.textContent;
  const template = button.dataset.waitLabel || '';
  const tick = () => {
    if (left <= 0) {
      button.disabled = false;
      button.textContent = label;
      return;
    }
    button.disabled = true;
    button.textContent = template.replace('{seconds}', String(left));
    left -= 1;
    setTimeout(tick, 1000);
  };
  tick();
}

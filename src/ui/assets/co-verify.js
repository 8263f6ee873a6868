// Cross-origin verification fallback (auth0.js `crossOriginVerification`): when the browser did not
// keep the /co/authenticate cookie, ask the application's verification page, framed here, for the
// verifier it kept in sessionStorage, then post it with the login ticket. The frame is made only
// once the listener is in place, so its "ready" message cannot arrive first.
const form = document.getElementById('co-verify');
const origin = form.dataset.frameOrigin;
const frame = document.createElement('iframe');
let done = false;
const finish = (verifier) => {
  if (done) return;
  done = true;
  form.elements.co_verifier.value = verifier;
  form.submit();
};
window.addEventListener('message', (event) => {
  if (event.origin !== origin || event.source !== frame.contentWindow) return;
  const data = event.data || {};
  if (data.type === 'ready') {
    frame.contentWindow.postMessage(
      { type: 'co_verifier_request', request: { id: form.dataset.coId } },
      origin,
    );
  } else if (data.type === 'co_verifier_response') {
    finish(data.response?.verifier || '');
  }
});
frame.title = 'verification';
frame.hidden = true;
frame.src = form.dataset.frameSrc;
document.body.appendChild(frame);
// A page that never answers ends the login with an error at the application instead of hanging here.
setTimeout(() => finish(''), 15000);

// response_mode=web_message: hand the authorization response to the application window that framed
// this page (silent authentication) or opened it (a popup), as Auth0's SDKs expect. The server put
// the response and the only origin allowed to receive it in data attributes: no inline script.
const holder = document.getElementById('authorization-response');
const target = window.opener || window.parent;
if (target && target !== window) {
  target.postMessage(
    { type: 'authorization_response', response: JSON.parse(holder.dataset.response) },
    holder.dataset.origin,
  );
}

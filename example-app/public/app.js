// The example app's only script: the Tokens page countdown and refresh, and the API page's calls.
// Plain browser JavaScript, no build step. Everything it needs is in data- attributes.
/* global document */

const time = (ms) => new Date(ms).toLocaleTimeString();

function mmss(ms) {
  const s = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

async function getJson(url, init = {}) {
  const res = await fetch(url, { ...init, headers: { accept: 'application/json', ...init.headers } });
  const body = await res.json().catch(() => null);
  return { res, body };
}

function tokensPage(card) {
  let expiresAt = Number(card.dataset.expiresAt);
  const skewMs = Number(card.dataset.skewSeconds) * 1000;
  const expiresIn = document.getElementById('expires-in');
  const expiresAtEl = document.getElementById('expires-at');
  const renewals = document.getElementById('renewals');
  const renewalCount = document.getElementById('renewal-count');
  const result = document.getElementById('refresh-result');
  let seen = 0;
  let asking = false;
  let stopped = false;

  const show = () => {
    const left = expiresAt - Date.now();
    expiresIn.textContent = left > 0 ? mmss(left) : 'expired';
    expiresIn.setAttribute('datetime', new Date(expiresAt).toISOString());
    expiresAtEl.textContent = new Date(expiresAt).toISOString();
    card.classList.toggle('soon', left <= skewMs);
  };
  const renewed = (how, at) => {
    seen += 1;
    renewalCount.textContent = String(seen);
    const li = document.createElement('li');
    li.textContent = `${time(Date.now())}: ${how}; the new token expires at ${time(at)}`;
    renewals.append(li);
  };

  // Any request through empowerid() renews a token that is due; this one asks for the current token.
  // Called every second once the countdown is within the skew, until the answer carries a new expiry.
  async function ask() {
    asking = true;
    try {
      const { res, body } = await getJson('/session/access-token');
      if (!res.ok) {
        stopped = true;
        result.textContent = res.status === 401 ? 'Your session has ended: sign in again.' : `The app answered ${res.status}.`;
      } else if (body.expiresAt !== expiresAt) {
        expiresAt = body.expiresAt;
        renewed('renewed silently by the library', expiresAt);
        show();
      }
    } catch (err) {
      result.textContent = `The app could not be reached: ${err.message}`;
    } finally {
      asking = false;
    }
  }

  document.getElementById('refresh-now').addEventListener('click', async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    result.textContent = 'Refreshing…';
    try {
      const { res, body } = await getJson('/refresh', { method: 'POST' });
      if (res.ok && body) {
        expiresAt = body.expiresAt;
        result.textContent = `Refreshed at ${time(Date.now())}.`;
        renewed('refreshed on request (POST /refresh)', expiresAt);
        show();
      } else {
        result.textContent = `Refresh failed: ${body?.error_description ?? res.status}`;
      }
    } catch (err) {
      result.textContent = `Refresh failed: ${err.message}`;
    } finally {
      button.disabled = false;
    }
  });

  show();
  setInterval(() => {
    show();
    if (!asking && !stopped && expiresAt - Date.now() <= skewMs) ask();
  }, 1000);
}

function apiCall(panel) {
  const path = panel.dataset.apiPath;
  const answer = panel.querySelector('.answer');
  panel.querySelector('[data-call]').addEventListener('click', async () => {
    answer.replaceChildren(Object.assign(document.createElement('p'), { className: 'muted', textContent: 'Calling…' }));
    try {
      const session = await getJson('/session/access-token');
      if (!session.res.ok) throw new Error('your session has ended: sign in again');
      const { res, body } = await getJson(path, { headers: { authorization: `Bearer ${session.body.accessToken}` } });
      const status = Object.assign(document.createElement('span'), {
        className: `status ${res.ok ? 'ok' : 'bad'}`,
        textContent: `${res.status} ${res.statusText}`,
      });
      const pre = Object.assign(document.createElement('pre'), { textContent: JSON.stringify(body, null, 2) });
      const parts = [status, pre];
      const challenge = res.headers.get('www-authenticate');
      if (challenge)
        parts.splice(
          1,
          0,
          Object.assign(document.createElement('p'), { className: 'detail', textContent: `WWW-Authenticate: ${challenge}` }),
        );
      answer.replaceChildren(...parts);
    } catch (err) {
      answer.replaceChildren(
        Object.assign(document.createElement('p'), { className: 'error', textContent: `The call failed: ${err.message}` }),
      );
    }
  });
}

const card = document.getElementById('access-token');
if (card && card.dataset.expiresAt) tokensPage(card);
for (const panel of document.querySelectorAll('[data-api-path]')) apiCall(panel);

// The page's script: read the API's address and the publishable key, call the API, show the
// answer. `?noreferrer` sends no Referer (as a page with `Referrer-Policy: no-referrer` would):
// the browser's Origin header is then what the key's origins are checked against.
const result = document.getElementById('result');
const items = document.getElementById('items');
document.getElementById('origin').textContent = location.origin;

async function load() {
  const config = await (await fetch('/config.json')).json();
  const noReferrer = new URLSearchParams(location.search).has('noreferrer');
  const response = await fetch(`${config.apiUrl}/catalog`, {
    headers: { 'X-API-Key': config.publishableKey },
    ...(noReferrer ? { referrerPolicy: 'no-referrer' } : {}),
  });
  const body = await response.json();
  result.dataset.status = String(response.status);
  if (response.ok) {
    result.dataset.code = 'ok';
    result.textContent = `${response.status}: ${body.items.length} items (rate limit: ${response.headers.get('RateLimit') ?? 'not exposed'})`;
    for (const item of body.items) {
      const li = document.createElement('li');
      li.textContent = `${item.name} — ${item.price}`;
      items.append(li);
    }
  } else {
    result.dataset.code = body.code;
    result.textContent = `${response.status} ${body.code}: ${body.detail ?? body.title}`;
  }
}

load().catch((error) => {
  result.dataset.status = 'error';
  result.dataset.code = 'network_error';
  result.textContent = `request failed: ${error.message}`;
});

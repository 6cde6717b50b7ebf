// The dashboard's shell: the hash router, sign-in (a password is traded for a session token, an API token is kept as
// it is, both only in sessionStorage) and the live event stream that refreshes the page shown.
'use strict';
(function (D) {
  const root = document.getElementById('app');
  let current = null;
  let overviewTimer;

  async function route() {
    if (current && current.dispose) current.dispose();
    current = null;
    const [, page, arg] = location.hash.split('/');
    for (const a of document.querySelectorAll('nav a'))
      a.classList.toggle('active', a.getAttribute('href') === '#/' + (page || ''));
    try {
      if (page === 'run') current = await D.pages.run(root, arg);
      else if (page === 'backtests') await D.pages.backtests(root);
      else if (page === 'backtest') await D.pages.backtest(root, decodeURIComponent(arg));
      else if (page === 'compare') await D.pages.compare(root, decodeURIComponent(arg));
      else if (page === 'models') await D.pages.models(root);
      else if (page === 'logs') await D.pages.logs(root, arg);
      else await D.pages.overview(root);
    } catch (e) {
      root.replaceChildren(
        D.h(
          'p',
          { class: 'error', id: 'page-error' },
          e.status === 401 ? 'Sign in to see this page: ' + e.message : e.message,
        ),
      );
    }
  }

  function onEvent(type, data) {
    const live = document.getElementById('live');
    live.textContent =
      `live · last event ${type}${data.runId ? ' (run ' + data.runId + ')' : ''} ` +
      `at ${new Date().toISOString().slice(11, 19)}`;
    if (current && current.onEvent) current.onEvent(type, data);
    else if (!location.hash || location.hash === '#/') {
      clearTimeout(overviewTimer);
      overviewTimer = setTimeout(route, 200);
    }
  }

  let stopFollow = null;
  function follow() {
    if (stopFollow) stopFollow();
    stopFollow = D.follow(onEvent, (state) => {
      document.getElementById('live').textContent = state === 'live' ? 'live' : 'live updates: ' + state;
    });
  }

  function showWho() {
    document.getElementById('who').textContent = D.token() ? 'signed in' : '';
    document.getElementById('signin-button').textContent = D.token() ? 'Sign out' : 'Sign in';
  }

  document.getElementById('signin').addEventListener('submit', async (e) => {
    e.preventDefault();
    const input = document.getElementById('secret');
    const who = document.getElementById('who');
    if (D.token() && !input.value) {
      D.setToken('');
    } else if (/^bot_/.test(input.value)) {
      D.setToken(input.value);
    } else {
      try {
        D.setToken('');
        const r = await D.api('/login', { password: input.value });
        D.setToken(r.token);
      } catch (err) {
        who.textContent = err.message;
        return;
      }
    }
    input.value = '';
    showWho();
    follow();
    route();
  });

  window.addEventListener('hashchange', route);
  showWho();
  follow();
  route();
})(window.Dash);

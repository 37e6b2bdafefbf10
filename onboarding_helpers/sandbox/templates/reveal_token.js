{#- The Auth Token's Show button: fetches it with the page's own header (cross-site pages cannot
    send it); a 403 means this browser is not the trainer's. Values: reveal_header. -#}
const button = document.getElementById('reveal-token');
const shown = document.getElementById('auth-token');
const mask = shown.textContent;
button.addEventListener('click', async () => {
  if (button.dataset.shown === '1') {
    shown.textContent = mask; button.textContent = 'Show'; button.dataset.shown = '0'; return;
  }
  const answer = await fetch(location.pathname.replace(/\/$/, '') + '/auth-token',
                             {headers: {{ {reveal_header: '1'} | tojson }}, cache: 'no-store'});
  if (!answer.ok) {
    shown.textContent = answer.status === 403 ? 'locked: a trainer unlocks it (Trainer, below)'
                                              : 'could not fetch the token';
    return;
  }
  shown.textContent = (await answer.json()).auth_token;
  button.textContent = 'Hide'; button.dataset.shown = '1';
});

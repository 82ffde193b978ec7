// The group simulator: send as a member through the signed bridge, show replies and pushes.
(function () {
  var log = document.getElementById('log'), chat = document.getElementById('chat'),
      sender = document.getElementById('sender'), text = document.getElementById('text');
  var last = window.SIM.last;
  function bubble(cls, from, body) {
    var div = document.createElement('div'); div.className = 'bubble ' + cls;
    var f = document.createElement('span'); f.className = 'from'; f.textContent = from;
    var b = document.createElement('span'); b.className = 'body'; b.textContent = body;
    div.appendChild(f); div.appendChild(b); log.appendChild(div); log.scrollTop = log.scrollHeight;
    return div;
  }
  document.getElementById('say').addEventListener('submit', function (ev) {
    ev.preventDefault();
    var t = text.value.trim(); if (!t) return;
    var who = sender.options[sender.selectedIndex].text;
    bubble('me', who, t); text.value = '';
    fetch('/console/simulator/say', {method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'X-CSRF-Token': window.SIM.csrf},
      body: JSON.stringify({chat_id: chat.value, sender_id: sender.value, text: t})})
      .then(function (r) { return r.json(); })
      .then(function (d) {
        if (d.error) { bubble('bot', '系统', d.error); return; }
        if (d.reply) { bubble('bot reply', '网格通（回复）', d.reply); }
        poll();
      });
  });
  function poll() {
    fetch('/console/simulator/feed?chat=' + encodeURIComponent(chat.value) + '&after=' + last, {credentials: 'same-origin'})
      .then(function (r) { return r.json(); })
      .then(function (rows) {
        rows.forEach(function (o) {
          last = Math.max(last, o.id);
          bubble('push', o.kind === 'user' ? ('网格通 → 私信 ' + o.to) : '网格通（推送）', o.text);
        });
      });
  }
  setInterval(poll, 2000);
})();

// The recording page: QA scorecards (draft/submit) and the legal-hold switch.
(function () {
  var box = document.getElementById('call');
  var callId = box.dataset.call, csrf = box.dataset.csrf;
  function post(url, body) {
    return fetch(url, {method: 'POST', credentials: 'same-origin',
      headers: {'Content-Type': 'application/json', 'X-CSRF-Token': csrf},
      body: JSON.stringify(body)}).then(function (r) { return r.json(); });
  }
  document.querySelectorAll('.scorecard').forEach(function (card) {
    function send(submit) {
      var answers = {};
      card.querySelectorAll('.question').forEach(function (q) {
        var picked = q.querySelector('input:checked');
        if (picked) { answers[q.dataset.q] = picked.value; }
      });
      post('/recordings/calls/' + encodeURIComponent(callId) + '/evaluations',
           {form_id: Number(card.dataset.form), answers: answers, submit: submit,
            comment: card.querySelector('.comment').value})
        .then(function (res) {
          // "草稿 · 得分 91.7", in the page's language (never the raw status code)
          var status = res.status === 'draft' ? box.dataset.draft : box.dataset.submitted;
          card.querySelector('.result').textContent = res.score !== undefined
            ? status + ' · ' + box.dataset.score + ' ' + res.score : (res.title || '');
          if (submit && res.score !== undefined) { location.reload(); }
        });
    }
    card.querySelector('.draft').addEventListener('click', function () { send(false); });
    card.querySelector('.submit').addEventListener('click', function () { send(true); });
  });
  var hold = document.getElementById('hold');
  if (hold) {
    hold.addEventListener('click', function () {
      post('/recordings/calls/' + encodeURIComponent(callId) + '/hold',
           {hold: hold.dataset.hold === '1'}).then(function () { location.reload(); });
    });
  }
})();

// The login page asks every 1.5 s whether the code it shows was confirmed from WeChat, then goes in.
(function () {
  var box = document.getElementById("login");
  if (!box) { return; }
  function ask() {
    fetch(box.dataset.status, {credentials: "same-origin", cache: "no-store"})
      .then(function (r) { return r.json(); })
      .then(function (state) { if (state["in"]) { window.location = box.dataset.next; } else { setTimeout(ask, 1500); } })
      .catch(function () { setTimeout(ask, 3000); });
  }
  setTimeout(ask, 1500);
})();

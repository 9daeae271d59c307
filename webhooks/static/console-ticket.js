// 常用回复: picking a template fills its form's text, which can still be changed before sending.
(function () {
  document.querySelectorAll("select[data-fills]").forEach(function (picker) {
    picker.addEventListener("change", function () {
      var chosen = picker.options[picker.selectedIndex];
      var field = document.getElementById(picker.dataset.fills);
      if (field && chosen && chosen.dataset.body) { field.value = chosen.dataset.body; field.focus(); }
    });
  });
})();

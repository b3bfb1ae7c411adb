// The message editor's placeholders: a click puts "{{ name }}" where the cursor was in the last
// subject or message field used. Without JavaScript the list is help to read and copy.
(function () {
  "use strict";
  var last = null;
  document.addEventListener("focusin", function (event) {
    var field = event.target;
    if (field.matches && field.matches("form input[type=text], form textarea")) { last = field; }
  });
  document.addEventListener("click", function (event) {
    var code = event.target.closest ? event.target.closest("[data-placeholder]") : null;
    if (!code || !last) { return; }
    var text = "{{ " + code.getAttribute("data-placeholder") + " }}";
    var start = last.selectionStart || 0, end = last.selectionEnd || 0;
    last.value = last.value.slice(0, start) + text + last.value.slice(end);
    last.focus();
    last.selectionStart = last.selectionEnd = start + text.length;
  });
})();

/* Dates, times and money, formatted in one place: China time (UTC+8), 2026-12-03 15:00,
   ¥1,234.56; and the ID number's check digit (GB 11643), checked on the device. */
"use strict";
(function () {
  var CHINA = 8 * 3600 * 1000;

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  /* "2026-12-03 15:00" in China time, from an ISO time with any offset. */
  function time(iso) {
    if (!iso) return "";
    var d = new Date(new Date(iso).getTime() + CHINA);
    if (isNaN(d)) return "";
    return d.getUTCFullYear() + "-" + pad(d.getUTCMonth() + 1) + "-" + pad(d.getUTCDate()) +
      " " + pad(d.getUTCHours()) + ":" + pad(d.getUTCMinutes());
  }

  /* Now in China time as the time fields show it ("2026-12-03 15:00"). */
  function nowLocal() { return time(new Date().toISOString()); }

  /* A typed time ("2026-12-03 15:00", or with a T) taken as China time -> ISO 8601 with
     +08:00; anything else is sent as typed, for the server's field error to name. */
  function localToIso(value) {
    if (!value) return value;
    var m = /^\s*(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2})(:\d{2})?\s*$/.exec(value);
    return m ? m[1] + "T" + m[2] + (m[3] || ":00") + "+08:00" : value;
  }

  function money(value) {
    /* a decimal string (as the API sends money) is formatted as text, never through a float */
    var m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(typeof value === "string" ? value.trim() : "");
    if (m && (m[3] || "").length <= 2) {
      return m[1] + "¥" + m[2].replace(/^0+(?=\d)/, "").replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." +
        ((m[3] || "") + "00").slice(0, 2);
    }
    var n = Number(value);
    if (!isFinite(n)) return "";
    var parts = Math.abs(n).toFixed(2).split(".");
    return (n < 0 ? "-" : "") + "¥" + parts[0].replace(/\B(?=(\d{3})+(?!\d))/g, ",") + "." + parts[1];
  }

  var WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];

  /* True when an 18-character ID number's last character is its check digit. */
  function idNumberValid(value) {
    var s = String(value || "").toUpperCase();
    if (!/^\d{17}[\dX]$/.test(s)) return false;
    var sum = 0;
    for (var i = 0; i < 17; i++) sum += Number(s[i]) * WEIGHTS[i];
    return "10X98765432"[sum % 11] === s[17];
  }

  /* An amount of RMB as typed: digits, at most two decimals ("1250.5" -> "1250.50"), or null. */
  function amount(text) {
    var m = /^(\d{1,10})(?:\.(\d{1,2}))?$/.exec(String(text || "").trim());
    return m ? m[1].replace(/^0+(?=\d)/, "") + "." + ((m[2] || "") + "00").slice(0, 2) : null;
  }

  window.Fmt = { time: time, nowLocal: nowLocal, localToIso: localToIso, money: money,
                 idNumberValid: idNumberValid, amount: amount };
})();

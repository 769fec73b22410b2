// The printable meeting page: the print button (no inline scripts under the Content-Security-Policy).
document.addEventListener("DOMContentLoaded", () => {
  const button = document.getElementById("print-button");
  if (button) button.addEventListener("click", () => window.print());
});

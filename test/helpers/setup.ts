/** Keeps Pulumi's `warning: [runtime] …` log lines (expected config warnings) out of test output. */
const warn = console.warn.bind(console);
console.warn = (...args: unknown[]): void => {
  if (typeof args[0] === "string" && args[0].startsWith("warning: ")) return;
  warn(...args);
};
